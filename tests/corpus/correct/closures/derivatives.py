"""Derivatives, numerically and by hand."""


def numerical_derivative(f, *args, wrt=0, h=1e-6):
    plus = list(args)
    minus = list(args)
    plus[wrt] = plus[wrt] + h
    minus[wrt] = minus[wrt] - h
    return (f(*plus) - f(*minus)) / (2 * h)


def lecture_gradients():
    # L = d * f
    dL = 1.0
    dd = -2.0 * dL      # dL/dd = f
    df = 4.0 * dL       # dL/df = d = e + c = -6 + 10
    de = dd             # plus node: passes the gradient through
    dc = dd
    da = -3.0 * de      # e = a * b: dL/da = b * dL/de
    db = 2.0 * de       # dL/db = a * dL/de
    return {"a": da, "b": db, "c": dc, "d": dd, "e": de, "f": df, "L": dL}


def neuron_gradients():
    do = 1.0
    dn = (1 - 0.7071067811865476 ** 2) * do  # tanh'(n) = 1 - o**2
    db = dn
    dx1w1 = dn
    dx2w2 = dn
    return {"x1": -3.0 * dx1w1, "w1": 2.0 * dx1w1, "x2": 1.0 * dx2w2, "w2": 0.0 * dx2w2,
            "b": db, "n": dn, "o": do}
