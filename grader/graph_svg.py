"""Draw a computational graph as SVG, in the style of the lecture's ``draw_dot``: no graphviz, pure Python.

Shared by the docs site (``docs/hooks/graph_svg.py`` draws the reference
engine's own ``Value`` objects) and the HTML grade report (which draws a
failed check's case from the report's ``graph``). Both hand over plain
``Box`` records, so the layout and the look are one piece of code.

The graphs are small DAGs, so a tidy layout is enough: columns count back
from the output along the longest path (a leaf sits right before the
operation that uses it), leaves are stacked top to bottom in the order they
are met, and every other node is level with the middle of its children (or
just below a node already there: shared children can put two in one spot).
Colours are presentation attributes with class names beside them, so a page
can restyle them with CSS (the report's dark scheme) and a bare file still
looks right.
"""

import math
from dataclasses import dataclass, field
from html import escape

BOX_H, LINE_H, OP_R, CHAR_W = 40, 16, 13, 7.3  # CHAR_W: one monospace character at 12px
COL_GAP, ROW_GAP, MARGIN, NOTE_H = 66, 12, 8, 18
FONT = "font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px"
INK, EDGE = "#1a1a1a", "#555"
FILLS = {"leaf": "#eef7ee", "node": "#e8f1fb", "part": "#fde8e8"}
STROKES = {"leaf": "#4a6fa5", "node": "#4a6fa5", "part": "#b3261e"}


@dataclass
class Box:
    """One value of the graph: its label, the operation that made it, its children, its lines of text.

    ``children`` are indices into the list of boxes; the last box is the
    output. ``marked`` draws the box as where something went wrong, with
    ``note`` written above it (never colour alone).
    """

    label: str
    op: str = ""
    children: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    marked: bool = False
    note: str = ""


def _reachable(boxes):
    """Every box the output depends on once, children before parents (depth first, children in order)."""
    order, seen, stack = [], set(), [(len(boxes) - 1, False)]
    while stack:
        i, done = stack.pop()
        if done:
            order.append(i)
        elif i not in seen:
            seen.add(i)
            stack.append((i, True))
            stack.extend((c, False) for c in reversed(boxes[i].children))
    return order


def _layout(boxes):
    """Column and row of every box the output depends on, and the number of rows."""
    order = _reachable(boxes)
    depth = {order[-1]: 0}
    for i in reversed(order):
        for c in boxes[i].children:
            depth[c] = max(depth.get(c, 0), depth[i] + 1)
    last = max(depth.values())
    column = {i: last - d for i, d in depth.items()}
    row, rows = {}, 0
    for i in order:
        children = boxes[i].children
        if children:
            row[i] = sum(row[c] for c in children) / len(children)
        else:
            row[i], rows = rows, rows + 1
    for col in set(column.values()):  # in a DAG two nodes can land on one spot: move the lower one down
        below = -1.0
        for i in sorted((i for i in order if column[i] == col), key=lambda i: row[i]):
            row[i] = below = max(row[i], below + 1)
    return order, column, row, max(rows, math.ceil(max(row.values())) + 1)


def draw(boxes, title, *, description=None, ids="g"):
    """An SVG of the boxes: one record per value (label | its lines), one oval per operation,
    arrows in the direction of the forward pass.

    ``title`` and ``description`` are its text alternative; ``ids`` prefixes
    the ids inside, so several drawings can share one page.
    """
    order, column, row, rows = _layout(boxes)
    label_w = 12 + CHAR_W * max(len(boxes[i].label) for i in order)
    values_w = max(96, 12 + CHAR_W * max((len(line) for i in order for line in boxes[i].lines), default=0))
    box_w = label_w + values_w
    top_gap = NOTE_H if any(boxes[i].marked and boxes[i].note for i in order) else 0
    row_h = BOX_H + ROW_GAP + top_gap

    def x_of(col):
        return MARGIN + col * (box_w + COL_GAP)

    def y_of(r):
        return MARGIN + top_gap + r * row_h + BOX_H / 2

    width = x_of(max(column.values())) + box_w + MARGIN
    height = MARGIN * 2 + rows * row_h - ROW_GAP
    labelled = f' aria-labelledby="{ids}-title{f" {ids}-desc" if description else ""}"'
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
         f'width="{width:.0f}" height="{height:.0f}" role="img" class="graph"{labelled}>'),
        f'<title id="{ids}-title">{escape(title)}</title>',
    ]
    if description:
        parts.append(f'<desc id="{ids}-desc">{escape(description)}</desc>')
    parts += [
        (f'<defs><marker id="{ids}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
         f'markerHeight="7" orient="auto-start-reverse"><path class="arrowhead" d="M0,0 L10,5 L0,10 z" '
         f'fill="{EDGE}"/></marker></defs>'),
        f'<rect class="canvas" width="{width:.0f}" height="{height:.0f}" fill="#fff"/>',
    ]
    for i in order:
        box = boxes[i]
        x, y = x_of(column[i]), y_of(row[i])
        if box.children:
            ox = x - COL_GAP / 2  # the operation's oval, in the gap before its result
            rx = max(OP_R, CHAR_W * len(box.op) / 2 + 6)
            for c in box.children:
                parts.append(_edge(x_of(column[c]) + box_w, y_of(row[c]), ox - rx, y, ids))
            parts.append(_edge(ox + rx, y, x, y, ids))
            parts.append(
                f'<ellipse class="op" cx="{ox:.1f}" cy="{y:.1f}" rx="{rx:.1f}" ry="{OP_R}" fill="#fdf0d5" '
                f'stroke="#b7791f"/><text x="{ox:.1f}" y="{y + 4:.1f}" text-anchor="middle" fill="{INK}" '
                f'style="{FONT}">{escape(box.op)}</text>')
        parts.append(_box(box, x, y, label_w, values_w))
    parts.append("</svg>")
    return "\n".join(parts)


def _edge(x1, y1, x2, y2, ids):
    mid = (x1 + x2) / 2
    return (
        f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" '
        f'fill="none" stroke="{EDGE}" stroke-width="1.2" marker-end="url(#{ids}-arrow)"/>'
    )


def _box(box, x, y, label_w, values_w):
    """A record box, like the lecture's draw_dot: the label, then its lines (data over grad)."""
    top = y - BOX_H / 2
    kind = "part" if box.marked else "node" if box.children else "leaf"
    width = 2.5 if box.marked else 1
    dash = ' stroke-dasharray="6 3"' if box.marked else ""
    parts = [
        f'<g class="box {kind}">',
        f'<rect x="{x:.1f}" y="{top:.1f}" width="{label_w + values_w:.1f}" height="{BOX_H}" rx="4" '
        f'fill="{FILLS[kind]}" stroke="{STROKES[kind]}" stroke-width="{width}"{dash}/>',
        f'<line x1="{x + label_w:.1f}" y1="{top:.1f}" x2="{x + label_w:.1f}" y2="{top + BOX_H:.1f}" '
        f'stroke="{STROKES[kind]}"/>',
        f'<text x="{x + label_w / 2:.1f}" y="{y + 4:.1f}" text-anchor="middle" fill="{INK}" '
        f'style="font-weight:bold;{FONT}">{escape(box.label)}</text>',
    ]
    first = y + 4 - LINE_H * (len(box.lines) - 1) / 2
    parts += [f'<text x="{x + label_w + 6:.1f}" y="{first + k * LINE_H:.1f}" fill="{INK}" style="{FONT}">'
              f'{escape(line)}</text>' for k, line in enumerate(box.lines)]
    if box.marked and box.note:
        parts.append(f'<text class="note" x="{x:.1f}" y="{top - 5:.1f}" fill="{STROKES["part"]}" '
                     f'style="font-weight:bold;{FONT}">{escape(box.note)}</text>')
    parts.append("</g>")
    return "".join(parts)
