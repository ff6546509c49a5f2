

def _broken_mul(self, other):
    raise ValueError("a bug in __mul__")


Value.__mul__ = _broken_mul
