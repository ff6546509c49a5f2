"""Draw a computational graph of ``Value`` nodes as SVG, in pure Python.

No graphviz: the graphs the site shows are small trees, so a tidy-tree
layout (leaves stacked top to bottom, each node level with the middle of
its children, columns by depth) is enough, and the picture is drawn from
the very objects the engine built, data and grad included.
"""

from html import escape

VALUES_W, BOX_H, OP_R, CHAR_W = 96, 40, 13, 7.3  # CHAR_W: one monospace character at 12px
COL_GAP, ROW_GAP, MARGIN = 66, 12, 8
FONT = "font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px"


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


def _layout(root):
    """Column and row of every value node.

    A node's column counts back from the output along its longest path, so a
    leaf sits right before the operation that uses it (as in the lecture's
    drawings); leaves are stacked in order, and each other node is level with
    the middle of its children.
    """
    order = _walk(root)
    depth = {id(root): 0}
    for node in reversed(order):
        for child in node._prev:
            depth[id(child)] = max(depth.get(id(child), 0), depth[id(node)] + 1)
    last = max(depth.values())
    column = {key: last - d for key, d in depth.items()}
    row, next_row = {}, 0
    for node in order:
        children = list(node._prev)
        if children:
            row[id(node)] = sum(row[id(c)] for c in children) / len(children)
        else:
            row[id(node)], next_row = next_row, next_row + 1
    return order, column, row, next_row


def graph_svg(root, title):
    """An SVG drawing of the graph under ``root``: one box per value (label, data, grad),
    one circle per operation, arrows in the direction of the forward pass."""
    order, column, row, rows = _layout(root)
    label_w = 12 + CHAR_W * max(len(node.label or "") for node in order)
    box_w = label_w + VALUES_W

    def x_of(col):
        return MARGIN + col * (box_w + COL_GAP)

    def y_of(r):
        return MARGIN + r * (BOX_H + ROW_GAP) + BOX_H / 2

    width = x_of(max(column.values())) + box_w + MARGIN
    height = MARGIN * 2 + rows * (BOX_H + ROW_GAP) - ROW_GAP
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
         f'width="{width:.0f}" height="{height:.0f}" role="img">'),
        f"<title>{escape(title)}</title>",
        ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
         'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>'),
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#fff"/>',
    ]
    for node in order:
        x, y = x_of(column[id(node)]), y_of(row[id(node)])
        if node._prev:
            ox = x - COL_GAP / 2  # the operation's oval, in the gap before its result
            rx = max(OP_R, CHAR_W * len(node._op) / 2 + 6)
            for child in node._prev:
                cx, cy = x_of(column[id(child)]) + box_w, y_of(row[id(child)])
                parts.append(_edge(cx, cy, ox - rx, y))
            parts.append(_edge(ox + rx, y, x, y))
            parts.append(
                f'<ellipse cx="{ox:.1f}" cy="{y:.1f}" rx="{rx:.1f}" ry="{OP_R}" fill="#fdf0d5" stroke="#b7791f"/>'
                f'<text x="{ox:.1f}" y="{y + 4:.1f}" text-anchor="middle" style="{FONT}">{escape(node._op)}</text>'
            )
        parts.append(_box(node, x, y, label_w))
    parts.append("</svg>")
    return "\n".join(parts)


def _edge(x1, y1, x2, y2):
    mid = (x1 + x2) / 2
    return (
        f'<path d="M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" '
        'fill="none" stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>'
    )


def _box(node, x, y, label_w):
    """A record box, like the lecture's draw_dot: the label, then data over grad."""
    top = y - BOX_H / 2
    fill = "#e8f1fb" if node._prev else "#eef7ee"
    values_x = x + label_w + 6
    return (
        f'<rect x="{x:.1f}" y="{top:.1f}" width="{label_w + VALUES_W:.1f}" height="{BOX_H}" rx="4" '
        f'fill="{fill}" stroke="#4a6fa5"/>'
        f'<line x1="{x + label_w:.1f}" y1="{top:.1f}" x2="{x + label_w:.1f}" y2="{top + BOX_H:.1f}" stroke="#4a6fa5"/>'
        f'<text x="{x + label_w / 2:.1f}" y="{y + 4:.1f}" text-anchor="middle" '
        f'style="font-weight:bold;{FONT}">{escape(node.label or "")}</text>'
        f'<text x="{values_x:.1f}" y="{y - 4:.1f}" style="{FONT}">data {node.data:.4f}</text>'
        f'<text x="{values_x:.1f}" y="{y + 12:.1f}" style="{FONT}">grad {node.grad:.4f}</text>'
    )
