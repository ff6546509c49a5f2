"""An engine that never finishes importing."""

while True:
    pass
