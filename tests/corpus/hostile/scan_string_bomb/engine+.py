

# String building the static scan once followed into every combination (6 ** 48 strings): it must
# give up, say so, and still grade. It never runs.
if False:
    s = 'refer'
    s = 'ence'
    s = 'gra'
    s = 'der'
    s = '/'
    s = '.'
    __import__(s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s)
    open((s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s) + "/engine.py")
