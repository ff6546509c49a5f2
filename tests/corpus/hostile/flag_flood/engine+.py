

# At import, try thousands of different forbidden paths: each refusal is a flag, and every flag
# would be carried into the report if nothing capped them.
for _i in range(3000):
    try:
        open("{KIT}/reference/" + "engine" + str(_i) + ".py").close()
    except Exception:
        pass
