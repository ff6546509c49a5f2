

def _chatty_mul(self, other):
    line = "debug: multiplying " + "*" * (1024 * 1024)
    for _ in range(500):  # 500 MB, if nothing stops it
        print(line)
    return Value(0.0)


Value.__mul__ = _chatty_mul
