"""The stage DAG as inline SVG, laid out in Python: a picture that needs nothing at view time.

Layout is grandalf's Sugiyama layering (top to bottom); this module only sizes the boxes and
draws them. Shapes say the stage kind (sources slanted, global steps as hexagons), borders
the output (checkpoints dashed, sinks double), fills the state; each node also spells out
its kind, output and branch, and carries ``data-stage`` / ``data-state`` attributes.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any, Mapping

from grandalf.graphs import Edge, Graph, Vertex
from grandalf.layouts import SugiyamaLayout

from shardflow.report.dag import DagNode, dag_nodes

if TYPE_CHECKING:
    from shardflow.plan import Plan
    from shardflow.report.status import StageStatus

CHAR_W = 7.0  # average width of a 12px sans-serif character, for sizing boxes
LINE_H = 16.0
PAD = 12.0
MARGIN = 20.0
MAX_CHARS = 48  # longer step chains wrap


class _Box:
    """What grandalf needs of a vertex's view: its size, and a slot for its position."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


class _Route:
    def __init__(self) -> None:
        self.pts: list[tuple[float, float]] = []

    def setpath(self, pts: list[tuple[float, float]]) -> None:
        self.pts = pts


def _wrap(steps: tuple[str, ...]) -> list[str]:
    lines, line = [], ""
    for i, step in enumerate(steps):
        piece = step if i == 0 else f" → {step}"
        if line and len(line) + len(piece) > MAX_CHARS:
            lines.append(line)
            piece = f"→ {step}"
        line += piece
    return lines + [line]


def _lines(node: DagNode) -> list[tuple[str, str]]:
    """(css class, text) of each line of a node's label."""
    return ([("title", node.id)] + [("steps", s) for s in _wrap(node.steps)]
            + [("progress", node.progress), ("badges", " · ".join(node.badges))])


def _shape(node: DagNode, x: float, y: float, w: float, h: float) -> str:
    """The node's outline: parallelogram (source), hexagon (global) or rounded box."""
    dash = ' stroke-dasharray="6 3"' if node.checkpoint else ""
    style = f'fill="{node.fill}" stroke="{node.stroke}" stroke-width="2"{dash}'
    if node.kind == "source":
        k = 10
        pts = [(x + k, y), (x + w, y), (x + w - k, y + h), (x, y + h)]
    elif node.kind == "global":
        k = 14
        pts = [(x + k, y), (x + w - k, y), (x + w, y + h / 2), (x + w - k, y + h), (x + k, y + h), (x, y + h / 2)]
    else:
        outline = f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" {style}/>'
        if node.sinks:  # a second border: a sink is where data leaves the pipeline
            outline += (f'<rect x="{x + 3:.1f}" y="{y + 3:.1f}" width="{w - 6:.1f}" height="{h - 6:.1f}" '
                        f'rx="4" fill="none" stroke="{node.stroke}" stroke-width="1"/>')
        return outline
    return f'<polygon points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in pts)}" {style}/>'


def plan_svg(plan: "Plan | Mapping[str, Any]", states: "Mapping[str, StageStatus] | None" = None) -> str:
    """Render ``plan`` (or its run.json summary) as an ``<svg>`` element, states optional."""
    nodes = dag_nodes(plan, states)
    if not nodes:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    vertices = {}
    for node in nodes:
        lines = _lines(node)
        w = max(len(text) for _, text in lines) * CHAR_W + 2 * PAD + (24 if node.kind != "shard" else 0)
        v = Vertex(node.id)
        v.view = _Box(w, len(lines) * LINE_H + 2 * PAD)
        vertices[node.id] = v
    edges = [Edge(vertices[up], vertices[n.id]) for n in nodes for up in n.inputs]
    for e in edges:
        e.view = _Route()
    graph = Graph(list(vertices.values()), edges)
    for component in graph.C:
        layout = SugiyamaLayout(component)
        layout.yspace = 40
        layout.xspace = 30
        layout.init_all()
        layout.draw()
    # Components are laid out on their own; place them side by side.
    offset, boxes, shift = 0.0, {}, {}
    for component in graph.C:
        xs = [v.view.xy[0] - v.view.w / 2 for v in component.sV]
        left = min(xs)
        for v in component.sV:
            boxes[v.data] = (v.view.xy[0] - left + offset, v.view.xy[1])
            shift[v.data] = offset - left
        offset += max(v.view.xy[0] + v.view.w / 2 for v in component.sV) - left + 40
    top = min(y - vertices[n].view.h / 2 for n, (x, y) in boxes.items())
    width = offset - 40 + 2 * MARGIN
    height = max(y + vertices[n].view.h / 2 for n, (x, y) in boxes.items()) - top + 2 * MARGIN

    def at(name: str) -> tuple[float, float]:
        x, y = boxes[name]
        return x + MARGIN, y - top + MARGIN

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dag" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#6b7280"/></marker></defs>',
    ]
    for e in edges:
        up, down = e.v[0].data, e.v[1].data
        (x1, y1), (x2, y2) = at(up), at(down)
        y1 += vertices[up].view.h / 2
        y2 -= vertices[down].view.h / 2
        # An edge that skips layers bends through grandalf's route points, around the boxes between.
        bends = [(px + shift[up] + MARGIN, py - top + MARGIN) for px, py in e.view.pts[1:-1]]
        if bends:
            d = f"M {x1:.1f} {y1:.1f} " + " ".join(f"L {px:.1f} {py:.1f}" for px, py in bends) + f" L {x2:.1f} {y2:.1f}"
        else:
            mid = (y1 + y2) / 2
            d = f"M {x1:.1f} {y1:.1f} C {x1:.1f} {mid:.1f}, {x2:.1f} {mid:.1f}, {x2:.1f} {y2:.1f}"
        parts.append(f'<path class="edge" d="{d}" fill="none" stroke="#6b7280" stroke-width="1.5" '
                     'marker-end="url(#arrow)"/>')
    for node in nodes:
        cx, cy = at(node.id)
        box = vertices[node.id].view
        x, y = cx - box.w / 2, cy - box.h / 2
        classes = " ".join(["stage", node.kind, *node.outputs] + ([node.state] if node.state else []))
        parts.append(f'<g class="{classes}" data-stage="{escape(node.id)}" data-state="{node.state or ""}">')
        parts.append(f"<title>{escape(node.id)}: {escape(', '.join(node.badges))}</title>")
        parts.append(_shape(node, x, y, box.w, box.h))
        for i, (cls, text) in enumerate(_lines(node)):
            weight = ' font-weight="bold"' if cls == "title" else ""
            color = "#6b7280" if cls == "badges" else "#111827"
            parts.append(f'<text class="{cls}" x="{cx:.1f}" y="{y + PAD + (i + 0.75) * LINE_H:.1f}" '
                         f'text-anchor="middle" fill="{color}"{weight}>{escape(text)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
