"""A submission that tries, from inside the sandbox, what student code must never do.

The same probe runs twice in one grading: in the worker (appended to
layers/linear.py, so it runs when the grader first imports it) and in the
notebook's kernel (a cell). Each attempt is reported as a line

    SANDBOX_PROBE {"where": ..., "action": ..., "outcome": "denied"|"done"|..., "detail": ...}

on the process's stderr, which the grader keeps in its log. tests/test_sandbox.py
builds the submission, grades it, reads the lines back and compares each with
what the sandbox's layers (as the grader reports them) must make of it.
"""
import json

# Placeholders: TARGETS (a dict of paths and numbers the test chose) and WHERE.
PROBE = r'''
def _sandbox_probe(targets, where):
    import json, os, signal, socket, stat

    def report(action, outcome, detail=""):
        line = json.dumps({"where": where, "action": action, "outcome": outcome,
                           "detail": str(detail)[:200]})
        os.write(2, f"SANDBOX_PROBE {line}\n".encode())

    def attempt(action, function):
        try:
            detail = function()
            report(action, "done", detail or "")
        except Exception as exc:  # denied by a layer: each layer raises its own OSError
            report(action, "denied", repr(exc))

    def read(path):
        if os.path.isdir(path):
            return f"listed {len(os.listdir(path))} entries"
        with open(path, "rb") as f:
            return f"read {len(f.read(100))} bytes"

    for name in ("decoy", "grader_source", "reference", "real_labels", "other_home", "other_key"):
        attempt(f"read {name}", lambda p=targets[name]: read(p))

    def write_venv():
        path = os.path.join(targets["site_packages"], "zz_sandbox_probe.pth")
        with open(path, "w") as f:
            f.write("import os\n")
        return "wrote " + path
    attempt("write the venv's site-packages", write_venv)

    workdir = os.path.dirname(os.getcwd())
    plant_in = {"workdir": workdir, "private": os.path.join(workdir, "private"),
                "kernel": os.path.join(workdir, "kernel"), "data": os.path.join(workdir, "data"),
                "worker": os.path.join(workdir, "worker"), "results": targets["results_dir"]}
    if where == "kernel":
        import ipykernel
        connection = ipykernel.get_connection_file()
        plant_in["channel"] = os.path.dirname(targets.get("channel") or connection)
        with open(connection) as f:
            info = json.load(f)
        plant_in["ipc"] = os.path.dirname(info["ip"])
    for label, folder in sorted(plant_in.items()):
        for kind in ("symlink", "fifo", "hardlink"):
            target = os.path.join(folder, f"zz-probe-{where}-{kind}")

            def plant(kind=kind, target=target):
                if kind == "symlink":
                    os.symlink("/etc/passwd", target)
                elif kind == "fifo":
                    os.mkfifo(target)
                else:
                    own = os.path.join(os.getcwd(), f"zz-own-{where}")
                    open(own, "w").close()
                    os.link(own, target)
                return "planted " + target
            attempt(f"plant a {kind} in {label}/", plant)

    def tcp():
        with socket.create_connection(("127.0.0.1", targets["tcp_port"]), timeout=3) as s:
            return f"connected, got {s.recv(16)!r}"
    attempt("connect to the test's TCP server on 127.0.0.1", tcp)

    def list_grader():
        seen = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        if b"-m\x00grader" in f.read():
                            seen.append(int(entry))
                except OSError:
                    pass
        if not seen:
            raise PermissionError("no process of the grader is visible")
        return f"sees the grader's processes {seen}"
    attempt("list the grader's processes", list_grader)

    def signal_ancestors():
        # The processes above this one (the sandbox's launcher and init, the
        # grader): signal 0 asks only whether a signal would be allowed.
        pid, allowed, denied = os.getppid(), [], []
        while pid > 0:
            try:
                os.kill(pid, 0)
                if os.stat(f"/proc/{pid}").st_uid != os.getuid():
                    allowed.append(pid)
            except OSError as exc:
                denied.append(f"{pid}: {exc.strerror}")
            try:
                with open(f"/proc/{pid}/stat") as f:
                    pid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                break
        if not allowed:
            raise PermissionError(f"denied: {denied}")
        return f"may signal {allowed}"
    attempt("signal the grader and the launcher", signal_ancestors)

    for path in ("/tmp/conftest.py", "/var/tmp/zz-sandbox-probe", "/dev/shm/zz-sandbox-probe"):
        def leave(path=path):
            with open(path, "w") as f:
                f.write("import os  # left by the sandbox probe\n")
            return "wrote " + path
        attempt(f"leave {path}", leave)


_sandbox_probe(TARGETS, WHERE)
del _sandbox_probe
'''


def code(targets, where):
    """The probe as source, for `where` ("worker" or "kernel")."""
    return PROBE.replace("TARGETS", repr(targets)).replace("WHERE", repr(where))


def read_log(text):
    """The probe's reports in a grader log: [{"where", "action", "outcome", "detail"}]."""
    found = []
    for line in text.splitlines():
        if line.startswith("SANDBOX_PROBE "):
            try:
                found.append(json.loads(line[len("SANDBOX_PROBE "):]))
            except ValueError:
                pass
    return found
