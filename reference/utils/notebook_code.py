"""How the notebook's code is read, by the grader and by utils.check_notebook alike.

A cell's Python is parsed once (IPython's transformer first, so %magics and !commands
read as calls), and what the grader needs is found in the tree, never in the text: a
comment or a string that mentions best_net is not code, and
`best_net, history = train_net(x)` assigns best_net as plainly as `best_net = ...`.

    code = read_cell(cell_source)
    code.binds            # names the cell binds at its top level: {"best_net", "loss_history"}
    code.assigns_best_net
    trains(code, helpers) # helpers = trainers(all cells' code): functions that train

Only the cell's own statements count, not the bodies of the functions it defines (a
definition runs nothing), except through a call of one of them. Bounded: a cell over
MAX_SOURCE characters, a cell past the first MAX_NOTEBOOK_SOURCE characters of the
notebook's code (admit()), or one that does not parse, reads as no code at all.
"""
import ast
from dataclasses import dataclass, field

# Real cells are a few KB, real notebooks under 100 KB of code. Parsing is the grader's own
# work on untrusted text, so it is bounded: the worst 100 KB cell measured ("a," 50,000
# times) takes 0.75 s and 72 MB to read; a notebook's cells are read in order until
# MAX_NOTEBOOK_SOURCE characters in all (admit()), so at most about 8 s whatever the upload.
MAX_SOURCE = 100_000
MAX_NOTEBOOK_SOURCE = 1_000_000
MAX_TRAINERS = 100      # helper functions followed, in all
SEED_MAX = 2 ** 32 - 1  # what np.random.seed accepts
BEST_NET = "best_net"


@dataclass(frozen=True)
class CellCode:
    """What a cell's top-level code does, found in its syntax tree.

    binds: names bound by the cell's statements (assignments of every form, for and
        with targets, imports, definitions), or by a call of a function that declares
        them `global` and assigns them;
    calls: plain names called (`train_net(...)`); methods: attribute names called
        (`trainer.train()` gives "train");
    defines: {function name: (names it calls, methods it calls, globals it assigns, words)};
    words: every identifier the code uses (names, attributes, called names): what a cell
        draws with (plt, visualize_grid, loss_history) without reading its text;
    best_net_line: the line of the first statement binding best_net, or None;
    seeds: [(line, value)] of np.random.seed(k) calls with a whole number k;
    looped: the names and methods called inside the cell's loops (a search trains there).
    """
    parsed: bool = False
    binds: frozenset = frozenset()
    calls: frozenset = frozenset()
    methods: frozenset = frozenset()
    defines: dict = field(default_factory=dict)
    best_net_line: int = None
    seeds: tuple = ()
    words: frozenset = frozenset()
    looped: frozenset = frozenset()   # names and methods called inside a for or while loop

    @property
    def assigns_best_net(self):
        return self.best_net_line is not None


def parse(source):
    """The cell's module AST, or None (too long, not Python, too deep)."""
    if not isinstance(source, str) or len(source) > MAX_SOURCE:
        return None
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        source = TransformerManager().transform_cell(source)
    except Exception:  # IPython missing or refusing: magics blanked, the rest read as Python
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                           for line in source.splitlines())
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _targets(node):
    """Names a binding target binds (a, (a, b), [a, *b]); not attributes or subscripts."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def _bound(node):
    """Names one node binds in its own scope."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [name for target in node.targets for name in _targets(target)]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.For, ast.AsyncFor,
                         ast.comprehension)):
        return list(_targets(node.target))
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [name for item in node.items if item.optional_vars is not None
                for name in _targets(item.optional_vars)]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    return []


def _scope(body):
    """Every node of a scope's statements, not descending into nested functions, classes or
    lambdas (their bodies run only when called). Iterative: a deep tree costs no stack."""
    pending = list(body)
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        pending.extend(ast.iter_child_nodes(node))


def _called(node):
    """('name', x) for a call of a plain name, ('method', x) for a call of an attribute."""
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return "name", node.func.id
        if isinstance(node.func, ast.Attribute):
            return "method", node.func.attr
    return None, None


def _seed_value(call, constants):
    """k of np.random.seed(k) / numpy.random.seed(seed=k) / np.random.seed(SEED), else None."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "seed" and isinstance(func.value, ast.Attribute)
            and func.value.attr == "random" and isinstance(func.value.value, ast.Name)
            and func.value.value.id in ("np", "numpy")):
        return None
    args = list(call.args) + [k.value for k in call.keywords if k.arg == "seed"]
    if len(args) != 1:
        return None
    arg = args[0]
    value = constants.get(arg.id) if isinstance(arg, ast.Name) else getattr(arg, "value", None)
    if isinstance(arg, (ast.Name, ast.Constant)) and isinstance(value, int) and not isinstance(value, bool) \
            and 0 <= value <= SEED_MAX:
        return value
    return None


def _statement_of(tree):
    """{id(node): line of the top-level statement holding it}."""
    holder = {}
    for statement in tree.body:
        for node in _scope([statement]):
            holder[id(node)] = statement.lineno
    return holder


def _words(node):
    """A name, an attribute, or a string that is one (a key such as history["loss"])."""
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        return (node.attr,)
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
        return (node.value,)
    return ()


def _function(node):
    """(calls, methods, globals assigned, words) of a function's own body."""
    calls, methods, assigned, words = set(), set(), set(), set()
    declared = {name for n in _scope(node.body) if isinstance(n, ast.Global) for name in n.names}
    for n in _scope(node.body):
        kind, name = _called(n)
        if kind == "name":
            calls.add(name)
        elif kind == "method":
            methods.add(name)
        assigned.update(name for name in _bound(n) if name in declared)
        words.update(_words(n))
    return frozenset(calls), frozenset(methods), frozenset(assigned), frozenset(words)


_cache = {}
_CACHE_CELLS = 2_000


def admit(sources):
    """Bound the reading of one notebook, before any of its cells is read: its code cells'
    sources in order, until MAX_NOTEBOOK_SOURCE characters in all (cells over MAX_SOURCE,
    never parsed, not counted); the cells past that read as no code. The cache is emptied here, between notebooks, never while one is read (so
    that a cell past the bound is never parsed later)."""
    if len(_cache) >= _CACHE_CELLS:
        _cache.clear()
    total = 0
    for source in sources:
        source = "".join(source) if isinstance(source, list) else source
        if not isinstance(source, str) or len(source) > MAX_SOURCE:
            continue   # never parsed (parse()): it costs nothing
        total += len(source)
        if total > MAX_NOTEBOOK_SOURCE and source not in _cache:
            _cache[source] = CellCode()


def read_cell(source):
    """The CellCode of a cell's source (a string); cached by source."""
    if isinstance(source, list):
        source = "".join(source)
    found = _cache.get(source)
    if found is None:
        found = _read(source)
        _cache[source] = found
    return found


def _read(source):
    tree = parse(source)
    if tree is None:
        return CellCode()
    holder = _statement_of(tree)
    binds, calls, methods, defines, constants, words = set(), set(), set(), {}, {}, set()
    best_line, seeds, looped = None, [], set()
    for statement in tree.body:
        for node in _scope([statement]):
            names = _bound(node)
            binds.update(names)
            words.update(_words(node))
            if BEST_NET in names:
                best_line = statement.lineno if best_line is None else min(best_line, statement.lineno)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                constants.update((name, node.value.value) for name in names)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defines[node.name] = _function(node)
            if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                looped.update(name for n in _scope(node.body) for kind, name in [_called(n)] if kind)
            kind, name = _called(node)
            if kind == "name":
                calls.add(name)
            elif kind == "method":
                methods.add(name)
                value = _seed_value(node, constants)
                if value is not None:
                    seeds.append((holder[id(node)], value))
    # A call of a function of this cell that assigns a global binds it here.
    for name in calls & defines.keys():
        assigned = defines[name][2]
        binds.update(assigned)
        if BEST_NET in assigned:
            line = min(holder[id(n)] for n in _scope(tree.body) if _called(n) == ("name", name))
            best_line = line if best_line is None else min(best_line, line)
    return CellCode(True, frozenset(binds), frozenset(calls), frozenset(methods), defines, best_line,
                    tuple(sorted(seeds)), frozenset(words), frozenset(looped))


def _training_method(name):
    """The Trainer's train() and train_epoch(), a student's train_model(), an optimizer's step()."""
    return name.startswith("train") or name == "step"


def trains(code, helpers=frozenset()):
    """Whether a cell's own code trains: a training method called, or a function of `helpers`."""
    return any(_training_method(m) for m in code.methods) or bool(code.calls & set(helpers))


def searches(code, helpers=frozenset()):
    """Whether a cell trains inside a loop (a search over settings, left in the notebook)."""
    return any(_training_method(name) or name in helpers for name in code.looped)


def trainers(codes):
    """Names of the notebook's functions that train when called: those whose body calls a
    training method, and those calling them (a helper around the Trainer, so that
    `best_net = train_net(...)` trains), over the CellCode of every cell."""
    defined = definitions(codes)
    found = {name for name, (_, methods, _, _) in defined.items() if any(map(_training_method, methods))}
    while len(found) < MAX_TRAINERS:
        new = {name for name, (calls, _, _, _) in defined.items() if calls & found} - found
        if not new:
            break
        found |= new
    return frozenset(sorted(found)[:MAX_TRAINERS])


def definitions(codes):
    """{function name: what its body does} over the notebook's cells (a later definition wins)."""
    defined = {}
    for code in codes:
        defined.update(code.defines)
    return defined


def words_reached(code, defined):
    """The words of a cell's code and of the notebook's functions it calls, and those they
    call (`show_weights(best_net)` draws with the visualize_grid its definition uses);
    `defined` is definitions(codes)."""
    words, seen, pending = set(code.words), set(), list(code.calls)
    while pending and len(seen) < MAX_TRAINERS:
        name = pending.pop()
        if name in seen or name not in defined:
            continue
        seen.add(name)
        calls, _, _, used = defined[name]
        words |= used
        pending.extend(calls)
    return frozenset(words)


def uses(code, defined, fragments):
    """Whether the words a cell's code reaches (words_reached) contain each of `fragments`,
    case aside: ("plt", "loss") for `plt.plot(trainer.loss_history)` or a helper that does."""
    words = [word.lower() for word in words_reached(code, defined)]
    return all(any(fragment.lower() in word for word in words) for fragment in fragments)


# The cells the notebook checks read: the cell tagged so (our notebook), else the code cells
# whose code uses these (a course notebook from before the tags, a cell the student rewrote).
LOSS_PLOT = ("grader:loss_plot", ("plt", "loss"))
WEIGHTS_PLOT = ("grader:weights_plot", ("visualize_grid", "imshow"))
TEST_ACCURACY = ("grader:test_accuracy", ("best_net", "x_test"))


def find(cells, tag, fragments=()):
    """The cells tagged `tag`, else the code cells whose code uses every one of `fragments`
    (uses): read as code, so a comment does not count, and a plot drawn by the student's
    own helper does."""
    found = [c for c in cells if tag in ((c.get("metadata") or {}).get("tags") or [])]
    if found or not fragments:
        return found
    codes_ = codes(cells)
    defined = definitions(codes_)
    return [c for c, code in zip(cells, codes_) if c.get("cell_type") == "code"
            and uses(code, defined, fragments)]


def _source(cell):
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def codes(cells):
    """The CellCode of each cell (markdown and raw cells read as no code)."""
    return [read_cell(_source(cell)) if cell.get("cell_type") == "code" else CellCode() for cell in cells]


def best_net_cell(cells):
    """Index of the cell that trains best_net, or None, found by where best_net's last value
    comes from: the cell tagged grader:best_net; else the last code cell that assigns best_net,
    when it trains (directly or through a helper); else the first cell after it that trains
    (the course's three-cell layout: create best_net, build the Trainer, train); else the last
    cell that both assigns it and trains; else the last that assigns it. Not the first: a
    search that keeps its best network in best_net (`if val > best: best_net = net`) often
    comes before the cell that trains the final one."""
    for index, cell in enumerate(cells):
        if "grader:best_net" in (cell.get("metadata") or {}).get("tags", []):
            return index
    found = codes(cells)
    helpers = trainers(found)
    assigning = [i for i, code in enumerate(found) if code.assigns_best_net]
    if not assigning:
        return None
    last = assigning[-1]
    if trains(found[last], helpers):
        return last
    after = next((i for i in range(last + 1, len(cells)) if trains(found[i], helpers)), None)
    if after is not None:
        return after
    return next((i for i in reversed(assigning) if trains(found[i], helpers)), last)


def best_net_created(cells, index):
    """Index of the cell that creates best_net for best_net's cell `index`: the last cell at
    or before it that assigns best_net (its seed is the one that counts), else `index`."""
    return next((i for i in range(index, -1, -1) if codes([cells[i]])[0].assigns_best_net), index)


def seed_of(cell):
    """The seed the cell sets before it assigns best_net (np.random.seed(k)), or None."""
    code = read_cell(_source(cell))
    seeds = [value for line, value in code.seeds
             if code.best_net_line is None or line < code.best_net_line]
    return seeds[-1] if seeds else None


def first_line(cell, width=60):
    """The cell's first non-blank line, cut to `width` characters."""
    line = next((line.strip() for line in _source(cell).splitlines() if line.strip()), "")
    return line if len(line) <= width else line[:width - 3] + "..."


def cell_name(cells, index):
    """A cell as the student sees it: `In [n]` where it has an execution count, else its
    place among the code cells, and its first line: "In [7] (best_net = init_model())"."""
    cell = cells[index]
    count = cell.get("execution_count")
    if isinstance(count, int) and not isinstance(count, bool) and count > 0:
        where = f"In [{count}]"
    else:
        place = sum(1 for c in cells[:index + 1] if c.get("cell_type") == "code")
        where = f"code cell {place}"
    line = first_line(cell)
    return f"{where} ({line})" if line else where
