"""Derivatives before code: a numerical derivative, and the chain rule by hand."""


def numerical_derivative(f, *args, wrt=0, h=1e-6):
    """The central difference (f(..x+h..) - f(..x-h..)) / 2h in argument number ``wrt``."""
    up, down = list(args), list(args)
    up[wrt] += h
    down[wrt] -= h
    return (f(*up) - f(*down)) / (2 * h)


def lecture_gradients():
    """dL/d(node) for a=2, b=-3, c=10, e=a*b, d=e+c, f=-2, L=d*f, worked by hand."""
    a, b, c, f = 2.0, -3.0, 10.0, -2.0
    e = a * b  # -6
    d = e + c  # 4
    dL_dL = 1.0
    dL_dd = f * dL_dL  # L = d*f, so dL/dd = f
    dL_df = d * dL_dL  # and dL/df = d
    dL_de = 1.0 * dL_dd  # d = e + c: a plus passes the gradient through unchanged
    dL_dc = 1.0 * dL_dd
    dL_da = b * dL_de  # e = a*b: chain rule, local derivative times the gradient from above
    dL_db = a * dL_de
    return {"a": dL_da, "b": dL_db, "c": dL_dc, "d": dL_dd, "e": dL_de, "f": dL_df, "L": dL_dL}


def neuron_gradients():
    """do/d(node) for the lecture's neuron o = tanh(x1*w1 + x2*w2 + b), worked by hand."""
    x1, x2, w1, w2 = 2.0, 0.0, -3.0, 1.0
    do_do = 1.0
    do_dn = 0.5 * do_do  # d tanh(n)/dn = 1 - tanh(n)**2 = 1 - 0.7071**2 = 0.5
    do_db = 1.0 * do_dn  # the sum passes the gradient to each of its terms
    do_dx1 = w1 * do_dn  # x1*w1: each factor gets the other times the gradient
    do_dw1 = x1 * do_dn
    do_dx2 = w2 * do_dn
    do_dw2 = x2 * do_dn  # x2 is 0, so w2 cannot move the output
    return {"x1": do_dx1, "x2": do_dx2, "w1": do_dw1, "w2": do_dw2, "b": do_db, "n": do_dn, "o": do_do}
