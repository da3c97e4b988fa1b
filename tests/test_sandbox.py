"""The sandbox from inside: student code in the worker and in the kernel tries what it
must never do (tests/sandbox_probe.py), under each configuration of layers this
machine allows, and the grader's own files and the instructor's stay as they were.

Run with -s to see the table: action, where, expected, actual, the layer that stops it.
"""
import json
import os
import platform
import shutil
import site
import socket
import stat
import subprocess
import sys
import tempfile
import threading

import nbformat
import pytest

from grader.sandbox import Sandbox, SandboxRefused, remove_tree, seccomp
from tests import sandbox_probe
from tests.grading import ROOT, copy_reference

LEFT_OUTSIDE = ("/tmp/conftest.py", "/var/tmp/zz-sandbox-probe", "/dev/shm/zz-sandbox-probe")
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's user switch needs root")


class TCPServer:
    """A server on 127.0.0.1 of the grader's network, counting who reached it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.sendall(b"hello")
            conn.close()


@pytest.fixture(scope="module")
def classmate():
    """Another grading's sandbox, alive beside ours, with a file and a key in it."""
    workdir = tempfile.mkdtemp(prefix="grader-classmate-")
    box = Sandbox.claim(workdir)
    with open(os.path.join(box.home, "secret.txt"), "w") as f:
        f.write("a classmate's layer code\n")
    key = os.path.join(box.kernel, "connection.json")
    with open(key, "w") as f:
        json.dump({"key": "a classmate's kernel key"}, f)
    box.give_home()
    yield {"other_home": os.path.join(box.home, "secret.txt"), "other_key": key}
    box.close()
    remove_tree(workdir)


def _grade_probe(tmp_path, classmate, env):
    """Grade the probe submission; (results, log text, probe reports, host findings)."""
    decoy_dir = tempfile.mkdtemp(prefix="grader-decoy-")
    os.chmod(decoy_dir, 0o755)
    decoy = os.path.join(decoy_dir, "autograder-elsewhere.py")
    with open(decoy, "w") as f:
        f.write("HIDDEN_CHECKS = 'another copy of the autograder'\n")
    os.chmod(decoy, 0o644)
    server = TCPServer()
    results_dir = tmp_path / "out"
    results_dir.mkdir()
    for path in LEFT_OUTSIDE:
        if os.path.lexists(path):
            os.remove(path)
    cifar10 = os.environ.get("CIFAR10_DIR") or os.path.join(ROOT, "data", "cifar-10-batches-py")
    targets = {"decoy": decoy, "grader_source": os.path.join(ROOT, "grader", "grade.py"),
               "reference": os.path.join(ROOT, "reference", "layers", "linear.py"),
               "real_labels": os.path.join(cifar10, "test_batch"),
               "site_packages": site.getsitepackages()[0], "results_dir": str(results_dir),
               "tcp_port": server.port, **classmate}
    submission = copy_reference(tmp_path / "submission")
    with open(submission / "layers" / "linear.py", "a") as f:
        f.write("\n\n" + sandbox_probe.code(targets, "worker") + "\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(sandbox_probe.code(targets, "kernel"))]
    nbformat.write(nb, submission / "classification_nn.ipynb")
    log = tmp_path / "grader.log"
    try:
        proc = subprocess.run([sys.executable, "-m", "grader", str(submission), "--results",
                               str(results_dir / "results.json"), "--log", str(log)],
                              cwd=ROOT, capture_output=True, text=True, timeout=600,
                              env={**os.environ, **env})
        with open(results_dir / "results.json") as f:
            results = json.load(f)
        text = log.read_text(errors="replace")
        host = {
            "left outside": [p for p in LEFT_OUTSIDE if os.path.lexists(p)],
            "in site-packages": os.path.exists(os.path.join(targets["site_packages"], "zz_sandbox_probe.pth")),
            "planted in results": [n for n in os.listdir(results_dir) if n.startswith("zz-")],
            "tcp connections": server.accepted,
            "grader exit": proc.returncode,
        }
        return results, text, sandbox_probe.read_log(text), host
    finally:
        server.sock.close()
        shutil.rmtree(decoy_dir, ignore_errors=True)
        for path in LEFT_OUTSIDE:
            if os.path.lexists(path):
                os.remove(path)


def _expected(action, layers):
    """(outcome the probe must see, the layer that decides it) for `action` under `layers`."""
    namespaces, landlock = set(layers["namespaces"]), layers["landlock"] or {}
    hidden = ("mount namespace" if "mount" in namespaces else "Landlock" if landlock.get("fs")
              else "file permissions")
    if action.startswith("read "):
        if action in ("read other_home", "read other_key"):
            return "denied", hidden + " and the uid"
        return "denied", hidden
    if action.startswith("write the venv"):
        return "denied", hidden + " and file permissions"
    if action.startswith("plant "):
        return "denied", "root-owned folders (and " + hidden + ")"
    if action.startswith("connect"):
        if "network" in namespaces:
            return "denied", "network namespace"
        return ("denied", "Landlock (TCP)") if landlock.get("tcp") else ("done", "nothing: the network is open")
    if action.startswith("list"):
        return ("denied", "pid namespace") if "pid" in namespaces else ("done", "nothing: /proc is shared")
    if action.startswith("signal"):
        return "denied", "the uid" + (" and pid namespace" if "pid" in namespaces else "")
    if action.startswith("leave "):
        if "mount" in namespaces:
            return "done", "private /tmp (mount namespace): gone with the sandbox"
        return ("denied", "Landlock") if landlock.get("fs") else ("done", "the sweep after grading")
    raise AssertionError(f"no expectation for {action!r}")


def _table(rows):
    header = ("action", "where", "expected", "actual", "stopped by")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(5)]
    fmt = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


CONFIGURATIONS = {
    "all layers": {},
    "no namespaces (as in most containers)": {"GRADER_SANDBOX_NAMESPACES": "off"},
}


@pytest.mark.slow
@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_student_code_cannot_reach_outside_its_sandbox(tmp_path, classmate, configuration):
    env = CONFIGURATIONS[configuration]
    results, log, reports, host = _grade_probe(tmp_path, classmate, env)
    layers = results["extra_data"]["sandbox"]
    assert layers["uid"] is not None, "as root, student code must run as a sandbox uid"
    if configuration == "all layers":
        assert set(layers["namespaces"]) == {"mount", "pid", "network", "ipc", "uts"}, layers
    else:
        assert layers["namespaces"] == [], layers
    rows, wrong = [], []
    for report in reports:
        expected, layer = _expected(report["action"], layers)
        rows.append((report["action"], report["where"], expected, report["outcome"], layer))
        if report["outcome"] != expected:
            wrong.append(f"{report['where']}: {report['action']}: {report['outcome']} ({report['detail']})")
    table = _table(rows)
    print(f"\n{configuration}: layers {json.dumps(layers)}\n{table}\nhost after grading: {host}")
    wheres = {r["where"] for r in reports}
    assert wheres == {"worker", "kernel"}, f"the probe did not run in both places:\n{log[-3000:]}"
    assert len(reports) >= 2 * 20, table
    assert not wrong, "\n".join(wrong) + "\n\n" + table
    assert host["grader exit"] == 0
    assert host["left outside"] == [], "files student code wrote outside its folder survived"
    assert not host["in site-packages"] and not host["planted in results"]
    if expected_closed(layers):
        assert host["tcp connections"] == 0


def expected_closed(layers):
    return "network" in layers["namespaces"] or (layers["landlock"] or {}).get("tcp")


def _modes(paths):
    """{path: mode} of each path and every entry one level below it."""
    found = {}
    for top in paths:
        found[top] = stat.S_IMODE(os.lstat(top).st_mode)
        for name in os.listdir(top):
            found[os.path.join(top, name)] = stat.S_IMODE(os.lstat(os.path.join(top, name)).st_mode)
    return found


def test_grading_leaves_the_checkout_and_data_permissions_unchanged(tmp_path):
    cifar10 = os.environ.get("CIFAR10_DIR") or os.path.join(ROOT, "data", "cifar-10-batches-py")
    before = _modes([ROOT, cifar10])
    submission = copy_reference(tmp_path / "submission")
    proc = subprocess.run([sys.executable, "-m", "grader", str(submission), "--results",
                           str(tmp_path / "results.json"), "--skip-notebook"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 60
    after = _modes([ROOT, cifar10])
    changed = {p: (oct(before[p]), oct(after.get(p, 0))) for p in before if before[p] != after.get(p)}
    assert not changed, f"grading changed permissions: {changed}"


def test_an_interpreter_the_sandbox_user_cannot_run_refuses_to_grade(tmp_path):
    """Fail closed: a Python only root may execute; no student code runs, and the
    instructor is told what to fix."""
    private = tempfile.mkdtemp(prefix="grader-private-python-")  # 0700: only root enters
    venv = os.path.join(private, "venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--copies",
                    "--system-site-packages", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    os.chmod(python, 0o700)  # only root may run it, wherever it is mounted
    # The environment's packages (numpy, nbclient) come from ours: a .pth in the new venv.
    packages = site.getsitepackages()[0]
    own = subprocess.run([python, "-c", "import site; print(site.getsitepackages()[0])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(own, "grader-test.pth"), "w") as f:
        f.write(packages + "\n")
    marker = tmp_path / "student-code-ran"
    submission = copy_reference(tmp_path / "submission")
    with open(submission / "layers" / "linear.py", "a") as f:
        f.write(f"\nopen({str(marker)!r}, 'w').close()\n"
                "open('/etc/zz-written-by-student-code', 'w').close()\n")
    try:
        proc = subprocess.run([python, "-m", "grader", str(submission), "--results",
                               str(tmp_path / "results.json"), "--skip-notebook"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 3, proc.stderr[-2000:]  # misconfigured: nothing ran
        results = json.loads((tmp_path / "results.json").read_text())
    finally:
        shutil.rmtree(private, ignore_errors=True)
    assert results["score"] == 0 and results["tests"] == []
    assert "misconfigured" in results["output"] and "cannot run" in results["output"], results["output"]
    assert "not a problem with your submission" in results["output"]
    assert not marker.exists() and not os.path.exists("/etc/zz-written-by-student-code")


def test_without_namespaces_and_landlock_readable_grader_files_refuse(tmp_path):
    """Fail closed: with only the uid and file permissions, and the checkout readable
    by everyone (as a developer's checkout is), the grader refuses rather than let
    student code read the hidden checks."""
    if stat.S_IMODE(os.stat(ROOT).st_mode) & 0o005 != 0o005:
        pytest.skip("this checkout is not readable by other users, so the grader would not refuse")
    submission = copy_reference(tmp_path / "submission")
    proc = subprocess.run([sys.executable, "-m", "grader", str(submission), "--results",
                           str(tmp_path / "results.json"), "--skip-notebook"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GRADER_SANDBOX_NAMESPACES": "off",
                               "GRADER_SANDBOX_LANDLOCK": "off"})
    assert proc.returncode == 3, proc.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == 0 and results["tests"] == []
    assert "could read" in results["output"] and "chmod" in results["output"], results["output"]


def test_a_required_layer_the_machine_lacks_refuses(tmp_path, monkeypatch):
    """SANDBOX_REQUIRE names a layer that is switched off: no student code runs."""
    workdir = tempfile.mkdtemp(prefix="grader-require-")
    monkeypatch.setattr("grader.config.SANDBOX_NAMESPACES", "off")
    monkeypatch.setattr("grader.config.SANDBOX_REQUIRE", ("namespaces",))
    try:
        with pytest.raises(SandboxRefused, match="namespaces"):
            Sandbox.claim(workdir)
    finally:
        remove_tree(workdir)


def test_a_gradings_processes_share_one_control_group(monkeypatch):
    """One CPU share and one memory limit for every process of
    a grading, whatever it forks: two processes of 200 MB under a 300 MB group limit do
    not both survive, though each is far below the per-process limit."""
    from grader import config
    monkeypatch.setattr(config, "SANDBOX_GROUP_MEMORY", 300 * 1024 ** 2)
    workdir = tempfile.mkdtemp(prefix="grader-cgroup-")
    box = Sandbox.claim(workdir)
    try:
        if not box.layers.cgroups:
            pytest.skip(f"no control groups on this machine: {box.layers.why.get('cgroups')}")
        assert box.layers.cgroups == ["cpu", "memory"]
        show = box.command([sys.executable, "-I", "-c", "print(open('/proc/self/cgroup').read())"],
                           cwd=box.worker)
        groups = subprocess.run(show, env=box.env(), capture_output=True, text=True, timeout=60).stdout
        slot = os.path.basename(box.group.dirs[0])
        assert groups.count(slot) == len(box.group.procs), groups
        shares = [d for d in box.group.dirs if os.path.exists(os.path.join(d, "cpu.shares"))]
        if shares:  # cgroup v1: the same weight as every other grading's
            with open(os.path.join(shares[0], "cpu.shares")) as f:
                assert int(f.read()) == 1024
        hog = ("import subprocess, sys\n"
               "code = 'b = bytearray(200 * 2**20); b[::4096] = bytes(len(b) // 4096); import time; time.sleep(3)'\n"
               "ps = [subprocess.Popen([sys.executable, '-c', code]) for _ in range(2)]\n"
               "print([p.wait() for p in ps])\n")
        out = subprocess.run(box.command([sys.executable, "-I", "-c", hog], cwd=box.worker),
                             env=box.env(), capture_output=True, text=True, timeout=120).stdout
        codes = json.loads(out.strip().splitlines()[-1])
        assert sorted(codes)[0] == -9 and codes.count(0) <= 1, codes  # the kernel's OOM killer, in the group
    finally:
        outcome = box.close()
        remove_tree(workdir)
    assert outcome.get("cgroup removed") is True


# Student code's view of the kernel's keyrings: one JSON line.
KEYRING_PROBE = r'''
import ctypes, json, os, platform, socket
import numpy as np
ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
found = {}
payload = b"left by the sandbox test"
key = libc.syscall(ADD_KEY, b"user", b"grader-test-key", payload, len(payload), ctypes.c_long(-4))
found["add_key"] = key if key > 0 else -ctypes.get_errno()
result = libc.syscall(KEYCTL, ctypes.c_long(0), ctypes.c_long(-4), ctypes.c_long(0))  # GET_KEYRING_ID @u
found["keyctl"] = result if result > 0 else -ctypes.get_errno()
found["matmul"] = float((np.ones((64, 64)) @ np.ones((64, 64)))[0, 0])
a, b = socket.socketpair()
a.sendall(b"ping")
found["socketpair"] = b.recv(4).decode()
print(json.dumps(found))
'''

# Run as the sandbox uid, outside the sandbox: is the test's key still in its user keyring?
FIND_KEY = r'''
import ctypes, platform
KEYCTL = {"x86_64": 250, "aarch64": 219}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
key = libc.syscall(KEYCTL, ctypes.c_long(10), ctypes.c_long(-4), b"user", b"grader-test-key", ctypes.c_long(0))
print(key if key > 0 else -ctypes.get_errno())
'''


def _keyring_probe(box):
    argv = box.command([sys.executable, "-I", "-c", KEYRING_PROBE], cwd=box.worker)
    proc = subprocess.run(argv, env=box.env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_student_code_cannot_use_the_kernel_keyrings():
    """Keyrings are per uid and outlive the grading: seccomp answers EPERM to the
    key system calls, while numpy and sockets (Jupyter's) work as before."""
    if platform.machine() not in seccomp.ARCHITECTURES:
        pytest.skip(f"no seccomp filter for {platform.machine()}")
    workdir = tempfile.mkdtemp(prefix="grader-seccomp-")
    box = Sandbox.claim(workdir)
    try:
        assert box.layers.seccomp, box.layers.why
        assert box.layers.seccomp["denied"] == ["add_key", "request_key", "keyctl"]
        assert box.seccomp == "require"  # found by the probe: from now on required
        assert "seccomp" in box.describe()
        found = _keyring_probe(box)
        for kernel in (False, True):  # the worker's and the kernel's launch
            argv = box.command(["true"], kernel=kernel)
            assert json.loads(argv[argv.index("--spec") + 1])["seccomp"] == "require"
    finally:
        box.close()
        remove_tree(workdir)
    assert found == {"add_key": -1, "keyctl": -1, "matmul": 64.0, "socketpair": "ping"}  # -EPERM


def test_a_sandbox_uids_keys_are_cleared_when_its_grading_ends(monkeypatch):
    """Behind seccomp: with the filter off, a key student code adds to its uid's keyring
    is gone once the sandbox closes, so the next grading with that uid cannot read it."""
    monkeypatch.setattr("grader.config.SANDBOX_SECCOMP", "off")
    workdir = tempfile.mkdtemp(prefix="grader-keyrings-")
    box = Sandbox.claim(workdir)
    try:
        assert box.layers.seccomp is None and box.seccomp == "off"
        assert any("seccomp" in line for line in box.layers.off())
        uid, gid = box.user
        assert box.keyrings_at_claim["cleared"][:2] == ["user", "user session"], box.keyrings_at_claim
        found = _keyring_probe(box)
        assert found["add_key"] > 0, found  # without the filter, the key is made

        def find():
            return int(subprocess.run([sys.executable, "-I", "-S", "-c", FIND_KEY], user=uid, group=gid,
                                      extra_groups=[], cwd="/", env={}, capture_output=True, text=True,
                                      timeout=30, check=True).stdout)
        assert find() == found["add_key"]  # outlives the process that made it
    finally:
        outcome = box.close()
        remove_tree(workdir)
    assert outcome["keyrings"]["at close"]["cleared"][:2] == ["user", "user session"], outcome
    assert find() == -126  # ENOKEY
