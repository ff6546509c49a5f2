import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a polite stop is not enough
signal.signal(signal.SIGINT, signal.SIG_IGN)


def _endless_tanh(self):
    while True:
        pass


Value.tanh = _endless_tanh
