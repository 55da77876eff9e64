from mpcompat import raises
def test_raises():
    raises(ZeroDivisionError, lambda: 1 // 0)
