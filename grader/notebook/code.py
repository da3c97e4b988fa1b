"""A notebook cell's Python read as code: IPython's own transformer first (magics and
shell escapes become calls), then `ast`. Bounded: a cell over MAX_SOURCE characters, or
one that does not parse, reads as no code at all (never an exception).

    names = assigned_names(cell_source)   # {"loss_history", "best_net", ...}
"""
import ast

MAX_SOURCE = 200_000   # real cells are a few KB; past this, parsing untrusted code costs the grader


def parse(source):
    """The cell's module AST, or None."""
    if not isinstance(source, str) or len(source) > MAX_SOURCE:
        return None
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        source = TransformerManager().transform_cell(source)
    except Exception:  # IPython missing or its transformer refusing: plain Python is tried
        pass
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _targets(node):
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def assigned_names(source):
    """The global names a cell binds: assignments (plain, augmented, annotated, unpacking,
    walrus), for and with targets, imports, function and class definitions; not names
    bound inside a function's or class's body."""
    tree = parse(source)
    if tree is None:
        return set()
    names, pending = set(), list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(_targets(target))
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
            names.update(_targets(node.target))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            names.update(_targets(node.target))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    names.update(_targets(item.optional_vars))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        pending.extend(ast.iter_child_nodes(node))
    return names
