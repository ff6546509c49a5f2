"""Draw a graph of the reference engine's ``Value`` nodes as SVG for the site.

The drawing itself is ``grader/graph_svg.py``, shared with the HTML grade
report, so the site and the report show graphs alike; this module only
turns the very objects the engine built (data and grad included) into its
boxes.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # the kit's root, for `grader`

from grader.graph_svg import Box, draw  # noqa: E402


def _walk(root):
    """Every node under ``root`` once, children before parents."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(list(node._prev)))
    return order


def graph_svg(root, title):
    """An SVG drawing of the graph under ``root``: one box per value (label, data, grad),
    one oval per operation, arrows in the direction of the forward pass."""
    order = _walk(root)
    index = {id(node): i for i, node in enumerate(order)}
    boxes = [Box(label=node.label or "", op=node._op, children=[index[id(c)] for c in node._prev],
                 lines=[f"data {node.data:.4f}", f"grad {node.grad:.4f}"]) for node in order]
    return draw(boxes, title, ids=_ids(title))


def _ids(title):
    """Ids unique to the picture, so two pictures on one page never share an arrowhead."""
    return "g" + "".join(c for c in title.lower() if c.isalnum())[:24]
