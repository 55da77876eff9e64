"""CPython stand-in for MicroPython's `micropython` module, so firmware runs unchanged on the
host (tests, simulator).  Only what firmware uses: const() and the no-op helpers."""


def const(x):
    return x


def native(f):
    return f


def viper(f):
    return f


def schedule(func, arg):
    func(arg)
    return True


def alloc_emergency_exception_buf(size):
    pass


def mem_info(*args):
    pass


kbd_intr_char = 3          # what the last kbd_intr() set (-1: Ctrl-C disabled), for tests


def kbd_intr(chr):
    global kbd_intr_char
    kbd_intr_char = chr
