"""The hint catalogue: each likely mistake, what to tell the student, where the docs teach it.

Every hint's anchor is a heading in its stage page's "Common mistakes"
section (``### Title {#id}``); a test builds the site and checks that each
link here resolves, so the grader never points at a missing section.
"""

from dataclasses import dataclass

from .stages import BY_ID, docs_url


@dataclass(frozen=True)
class Hint:
    id: str  # also the docs anchor
    stage: str  # "general" for mistakes of any stage: taught on the getting-started page
    title: str
    text: str

    @property
    def page(self):
        return GENERAL_PAGE if self.stage == "general" else BY_ID[self.stage].page

    @property
    def docs(self):
        return docs_url(self.page + "#" + self.id)


GENERAL_PAGE = "getting-started.html"


_HINTS = (
    # ---- general: apply to any stage ----
    Hint("not-implemented", "general", "Not implemented yet",
         "This part still raises NotImplementedError: it is a stub waiting for you. "
         "Read the stage's page, then replace the `raise` with your code."),
    Hint("import-failed", "general", "Your file does not import",
         "Python could not import this file (a syntax error, a bad import, or code that fails "
         "at import time), so none of its checks could run. Run `python -c \"import student\"` "
         "to see the error, and keep top-level code to definitions."),
    Hint("timed-out", "general", "Your code never finishes",
         "The call did not return within its time limit: look for a loop whose condition "
         "never changes, or a traversal that revisits nodes forever."),
    Hint("crashed", "general", "Your code ended the process",
         "The code called sys.exit or os._exit, ran out of memory, or crashed the interpreter. "
         "Graded code must return, not exit."),
    Hint("used-reference", "general", "Your code uses the reference solution",
         "Importing or reading reference/ or grader/ scores nothing for the stages that use it: "
         "the point is to build it yourself."),
    Hint("too-much-memory", "general", "Your code used too much memory",
         "The process running your code went past its memory limit (1 GiB) and was stopped. "
         "Look for a list or graph that grows without end, e.g. a traversal that keeps "
         "re-adding nodes it has already seen."),
    Hint("too-much-output", "general", "Your code printed too much",
         "The process running your code printed past its output limit (8 MB per call) and was "
         "stopped. Remove the print calls inside your ops and backward(): they run once per "
         "node, and graded graphs have thousands."),
    Hint("raised-exception", "general", "Your code raised an exception",
         "The call stopped with an exception in your code. The message says which line: run "
         "the case shown in a Python shell to see it happen, and fix that line."),

    # ---- stage 0 ----
    Hint("forward-difference", "0", "A one-sided difference instead of the central one",
         "(f(x+h) - f(x)) / h is only accurate to about h. Use the central difference "
         "(f(x+h) - f(x-h)) / (2h): its error shrinks like h squared."),
    Hint("difference-scale", "0", "Dividing by h instead of 2h",
         "The central difference spans from x-h to x+h, a width of 2h: divide by 2*h."),
    Hint("wrong-argument", "0", "Nudging the wrong argument",
         "Only positional argument number `wrt` moves, by +h and -h; every other argument "
         "stays exactly as it was passed."),
    Hint("central-difference", "0", "The central difference, step by step",
         "Copy the arguments twice, add h to argument number `wrt` in one copy and subtract h "
         "in the other, call f on each, subtract, and divide by 2*h. Return that number."),
    Hint("chain-rule-local", "0", "Forgetting the local derivative",
         "The chain rule multiplies: dL/da = dL/de * de/da. Passing dL/de down unchanged is "
         "right only through a plus node."),
    Hint("product-rule-swap", "0", "Multiplying by the node's own value",
         "For e = a*b, de/da = b: each factor's derivative is the *other* factor."),
    Hint("plus-node-gradient", "0", "A plus node changing the gradient",
         "For d = e + c, dd/de = dd/dc = 1: a sum routes the gradient unchanged to each input."),
    Hint("tanh-derivative-by-hand", "0", "The derivative of tanh",
         "d tanh(n)/dn = 1 - tanh(n)**2, using tanh(n) = o = 0.7071, not n itself."),

    # ---- stage 1 ----
    Hint("wrap-numbers", "1", "Not accepting plain numbers",
         "`a + 1` must work: wrap a plain-number operand with "
         "`other = other if isinstance(other, Value) else Value(other)`."),
    Hint("reflected-ops", "1", "Missing reflected operators",
         "`2 * a` and `1 + a` call the right operand's __rmul__ / __radd__ (and `1 - a`, "
         "`1 / a` call __rsub__ / __rtruediv__). Define them, and mind the order in "
         "subtraction and division."),
    Hint("operand-order", "1", "Operands the wrong way round",
         "In `other - self` and `other / self` the plain number comes first: "
         "__rsub__ is other + (-self), __rtruediv__ is other * self**-1."),
    Hint("prev-children", "1", "The graph forgets the operands",
         "Pass the operands as children: `Value(..., (self, other), '+')`, so that `_prev` "
         "holds the very Value objects the result was computed from (not their data)."),
    Hint("cut-off-from-graph", "1", "A result cut off from the graph",
         "The number is right, but the result does not remember its operands, so no gradient "
         "can reach them. Build a composite op from ops that do (`-self` is `self * -1`), or "
         "pass the operands as children: never `return Value(-self.data)`."),
    Hint("extra-children", "1", "Children that are not operands",
         "`_prev` holds exactly the Values the result was computed from: the operands (a plain "
         "number the op wrapped included), nothing else. The exponent of `**` is a constant, not "
         "a child: `Value(self.data**other, (self,), f'**{other}')`."),
    Hint("value-exponent", "1", "Accepting a Value as the exponent",
         "`a ** k` takes a plain int or float k; a Value exponent must be refused, e.g. "
         "`assert isinstance(other, (int, float))`: its gradient is not part of the power rule."),
    Hint("modifies-operand", "1", "Changing an operand in place",
         "An op must return a *new* Value and leave its operands untouched: "
         "never `self.data += ...; return self`."),
    Hint("returns-number", "1", "Returning a number instead of a Value",
         "Every op returns a Value so that it can join the graph; a float has no grad "
         "and no _prev."),
    Hint("tanh-formula", "1", "The wrong tanh",
         "tanh(x) = (e^(2x) - 1) / (e^(2x) + 1). Large inputs overflow math.exp: "
         "math.tanh gives the same numbers safely."),
    Hint("pow-exponent", "1", "The power the wrong way round",
         "`a ** k` is a.data raised to the constant k, and its children are just (a,)."),
    Hint("relu-forward", "1", "The wrong ReLU",
         "relu(x) is x where x > 0 and 0 elsewhere: max(0, x), not abs(x)."),
    Hint("log-base", "1", "A logarithm in the wrong base",
         "log() is the natural logarithm, math.log(x), not log10 or log2."),
    Hint("forward-value", "1", "A forward pass with the wrong result",
         "Compare your op's `data` with the formula in its docstring on small numbers "
         "you can check by hand."),

    # ---- stage 2 ----
    Hint("assign-not-accumulate", "2", "Using = instead of +=",
         "With `self.grad = ...`, a node used twice (`a + a`, or a shared subexpression) keeps "
         "only the last contribution. The multivariable chain rule *adds* them: use `+=`."),
    Hint("forgot-out-grad", "2", "Forgetting out.grad",
         "The local derivative is only half of the chain rule: multiply it by `out.grad`, "
         "the gradient that arrived from above."),
    Hint("mul-rule-swapped", "2", "Multiplying by the wrong factor",
         "For out = a*b, a.grad += b.data * out.grad and b.grad += a.data * out.grad: "
         "each gets the other's data."),
    Hint("tanh-one-minus-t", "2", "1 - t instead of 1 - t**2",
         "d tanh(x)/dx = 1 - tanh(x)**2 = 1 - t**2, with t the output's data."),
    Hint("tanh-uses-input", "2", "tanh's rule using the input",
         "The derivative is 1 - t**2 where t = tanh(x) is the *output* (out.data), "
         "not x = self.data."),
    Hint("exp-self-data", "2", "self.data instead of out.data in exp",
         "d(e^x)/dx = e^x: that is the output's data, out.data, not the input's."),
    Hint("pow-rule", "2", "The power rule",
         "d(x^k)/dx = k * x^(k-1): multiply by k and lower the exponent by one."),
    Hint("log-rule", "2", "The derivative of log",
         "d(ln x)/dx = 1/x with x the input (self.data), not the output."),
    Hint("relu-rule", "2", "The derivative of ReLU",
         "The gradient flows through only where the output is positive: "
         "(out.data > 0) * out.grad; elsewhere nothing."),
    Hint("backward-not-set", "2", "A backward rule that does nothing",
         "The op never sets `out._backward`, so nothing flows to its children. Define the "
         "closure inside the op and assign it: `out._backward = _backward`."),
    Hint("backward-on-wrong-node", "2", "Setting _backward on the operand",
         "Assign the closure to the result (`out._backward = _backward`), not to `self`: "
         "overwriting the operand's rule breaks the graph below it."),
    Hint("local-derivative", "2", "A local derivative that is off",
         "Each rule adds (local derivative) * out.grad to each child's grad. Work out the "
         "local derivative of the failing op on paper at the case shown, and compare."),

    # ---- stage 3 ----
    Hint("no-seed", "3", "Forgetting to seed the gradient",
         "Backpropagation starts from dL/dL = 1: set `self.grad = 1.0` before walking the graph."),
    Hint("not-reversed", "3", "Walking the graph in the wrong order",
         "Call `_backward` in *reverse* topological order, output first, so that a node's "
         "grad is complete before it passes it on."),
    Hint("recursion-limit", "3", "Recursion on deep graphs",
         "A recursive build_topo stops at Python's recursion limit (about 1000 deep). "
         "Use an explicit stack, or Kahn's algorithm."),
    Hint("quadratic-topo", "3", "A topological sort that gets slower and slower",
         "`if v not in topo` on a list scans the whole list for every node, so the sort takes "
         "time proportional to n squared. Keep the visited nodes in a set."),
    Hint("visit-once", "3", "Calling a node's _backward more than once",
         "Each node's `_backward` must run exactly once: remember visited nodes so a shared "
         "node is not added to the order twice."),
    Hint("resets-gradients", "3", "Resetting gradients inside backward()",
         "backward() never zeroes: gradients accumulate until the user calls zero_grad, "
         "which is what lets two graphs share a leaf."),
    Hint("incomplete-traversal", "3", "Not reaching every node",
         "The order must include every node the output depends on, not just its direct "
         "children: keep walking `_prev` all the way down to the leaves."),
    Hint("backward-steps", "3", "backward() step by step",
         "Three steps: build the topological order of every node below self (each after its "
         "children), set self.grad = 1.0, then call _backward() on each node in reverse order, "
         "once. Nothing else: no other grads are set or changed by backward() itself."),

    # ---- stage 4 ----
    Hint("parameter-order", "4", "Parameters in the wrong order",
         "A Neuron's parameters() is `self.w + [self.b]`: weights first, in order, then the "
         "bias; a Layer's and an MLP's concatenate their parts in order."),
    Hint("flat-parameters", "4", "parameters() returning a list of lists",
         "parameters() must return one flat list of Values, so that zero_grad and sgd_step "
         "can loop over it: concatenate the parts', `[p for layer in self.layers for p in "
         "layer.parameters()]`, instead of listing each part's list."),
    Hint("init-order", "4", "Drawing the random numbers in another order",
         "Draw the weights first, in order, then the bias, each with random.uniform(-1, 1): "
         "then random.seed gives the same network as the reference."),
    Hint("missing-bias", "4", "A neuron without its bias",
         "act = w . x + b: start the sum at the bias, `sum((wi*xi for ...), self.b)`, and "
         "include b in parameters()."),
    Hint("nonlinearity", "4", "The wrong activation",
         "A neuron returns act.tanh() (or act itself with nonlin=False): every MLP neuron is "
         "tanh, as in the lecture."),
    Hint("single-output", "4", "A layer of one neuron returning a list",
         "When nout == 1, a Layer returns the single Value, not a list of one."),
    Hint("width-one-hidden", "4", "A hidden layer of width 1",
         "A width-1 layer returns a single Value; the next layer still needs a list: "
         "wrap it before passing it on, so MLP(2, [3, 1, 1]) works."),
    Hint("zero-grad", "4", "zero_grad not clearing every gradient",
         "zero_grad sets `p.grad = 0.0` for every p in self.parameters(): the grads, "
         "not the data."),
    Hint("layer-sizes", "4", "The wrong layer sizes",
         "Sizes are [nin] + nouts, and layer i maps sz[i] inputs to sz[i+1] outputs: "
         "MLP(3, [4, 4, 1]) has 16 + 20 + 5 = 41 parameters."),
    Hint("neuron-graph", "4", "A neuron's output that is not built from its Values",
         "Compute act = w . x + b with Value operations on the weights themselves "
         "(wi * xi, not wi.data * xi), so the output is a Value whose graph reaches every "
         "parameter and backward() fills in their grads."),

    # ---- stage 5 ----
    Hint("sum-not-mean", "5", "Sum instead of mean",
         "mse_loss is the *mean* of the squared errors: divide the sum by len(ys)."),
    Hint("mse-formula", "5", "The mean squared error, term by term",
         "For each prediction and target: (yp - y)**2, the prediction minus the target, squared. "
         "Add them up, divide by len(ys), and return the Value."),
    Hint("loss-not-value", "5", "A loss that is a number",
         "Build the loss from Values (`(yp - y)**2`), so that loss.backward() reaches "
         "every parameter; a float cannot backpropagate."),
    Hint("loss-gradient", "5", "A loss with the right value and the wrong gradient",
         "The loss's number is right but backward() gives the predictions other grads. If you "
         "made an op of your own (`out._backward = ...`, e.g. a mean node), its rule must add "
         "its local derivative times out.grad: for the mean of n values, out.grad / n."),
    Hint("gradient-ascent", "5", "Stepping uphill",
         "The gradient points uphill, towards more loss: subtract it, "
         "`p.data -= lr * p.grad`."),
    Hint("sgd-update", "5", "The update, term by term",
         "For every parameter p: p.data -= lr * p.grad. Scale the gradient by the learning rate, "
         "subtract it from the data, and leave the grad for zero_grad to clear."),
    Hint("no-zero-grad", "5", "Not zeroing the gradients",
         "Gradients accumulate (+=): without model.zero_grad() before loss.backward(), each "
         "step adds this step's gradient to all the earlier ones."),
    Hint("zero-grad-placement", "5", "Zeroing at the wrong moment",
         "zero_grad goes *before* backward(): zeroing after it wipes the gradients before "
         "sgd_step can use them."),
    Hint("loss-recorded", "5", "Recording the wrong loss",
         "Record loss.data as it was computed this step, before the update, once per step."),
    Hint("training-loop", "5", "A training step out of order",
         "Each step: predictions for every x, the loss, zero_grad, backward, sgd_step, "
         "record the loss. Compare your loop with that list line by line."),

    # ---- bonus ----
    Hint("torch-disagrees", "bonus", "Your engine and PyTorch disagree",
         "On the case shown, PyTorch computes another value or gradient. Stages 1 to 3 check "
         "each piece on its own: fix what they report first, then retype the case here "
         "in both libraries and compare node by node."),
)

HINTS = {h.id: h for h in _HINTS}
