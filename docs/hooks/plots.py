"""Matplotlib drawings for the site: plain numbers in, SVG text out.

The numbers come from the reference engine (see ``figures.py``); this module
only draws. It uses ``matplotlib.figure.Figure`` directly (no pyplot, no GUI
backend), and fixes the SVG's ids and date so a rebuild gives identical files.
"""

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

matplotlib.rcParams.update({
    "svg.hashsalt": "micrograd-kit",  # stable element ids
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
})
BLUE, ORANGE, RED, GREEN = "#3b6fb6", "#d9822b", "#c23b22", "#2e8b57"


def _svg(fig):
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None}, facecolor="white")
    return buf.getvalue()


def tanh_svg(xs, ts, grads):
    """tanh and its derivative, side by side on one axis."""
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.add_subplot()
    ax.plot(xs, ts, color=BLUE, lw=2, label="tanh(x)  (out.data)")
    ax.plot(xs, grads, color=ORANGE, lw=2, ls="--", label="d tanh / dx = 1 − tanh(x)²  (x.grad)")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel("x")
    ax.set_ylim(-1.15, 1.15)
    ax.legend(loc="lower right", frameon=False)
    return _svg(fig)


def loss_curve_svg(losses, caption):
    """Training loss per step, on a log scale so the late progress stays visible."""
    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.add_subplot()
    ax.plot(range(len(losses)), losses, color=BLUE, lw=2)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (mean squared error)")
    ax.set_title(caption, fontsize=9, loc="left")
    return _svg(fig)


def descent_svg(ws, bs, surface, path):
    """A 2-D loss surface as a contour map, and gradient descent's path down it."""
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    filled = ax.contourf(ws, bs, surface, levels=24, cmap="terrain")
    ax.contour(ws, bs, surface, levels=24, colors="black", linewidths=0.3, alpha=0.5)
    fig.colorbar(filled, ax=ax, label="loss (height)")
    px, py = zip(*path)
    ax.plot(px, py, color=RED, lw=1.5, marker="o", ms=2.5)
    ax.plot(px[0], py[0], marker="^", ms=10, color=RED, mec="black", label="start")
    ax.plot(px[-1], py[-1], marker="*", ms=14, color="gold", mec="black", label=f"after {len(path) - 1} steps")
    ax.set_xlabel("w (weight)")
    ax.set_ylabel("b (bias)")
    ax.grid(False)
    ax.legend(loc="upper right", framealpha=0.9)
    return _svg(fig)


def boundary_svg(gx, gy, grid_out, points, labels, caption):
    """A trained network's output over the plane, its zero line, and the training points."""
    fig = Figure(figsize=(5.6, 4.2))
    ax = fig.add_subplot()
    filled = ax.contourf(gx, gy, grid_out, levels=[-1, -0.5, 0, 0.5, 1], cmap="RdBu", alpha=0.55)
    ax.contour(gx, gy, grid_out, levels=[0], colors="black", linewidths=1.5)
    fig.colorbar(filled, ax=ax, label="network output")
    for label, color, marker in ((1.0, BLUE, "o"), (-1.0, RED, "s")):
        xs = [p for p, y in zip(points, labels) if y == label]
        ax.scatter([p[0] for p in xs], [p[1] for p in xs], c=color, marker=marker, edgecolors="black",
                   s=30, label=f"class {label:+.0f}", zorder=3)
    ax.set_title(caption, fontsize=9, loc="left")
    ax.grid(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
    return _svg(fig)
