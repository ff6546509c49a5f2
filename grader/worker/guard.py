"""What graded code may do in its worker: armed by ``worker.py`` before the submission loads.

Resource limits bound memory, output, CPU time, core dumps and (for users
other than root) processes and threads. An audit hook, which Python code
cannot remove, refuses what graded code has no business doing: starting
programs, opening sockets, ctypes, writing files outside the worker's scratch
folder, reading the reference, the grader or the grading process, and
tampering with the hook's own machinery (gc introspection, tracing, function
code and defaults). Attempts that look like borrowing the reference, or like
tampering with the grader or its report, are sent to the grading process at
once as flags, so the stages concerned score nothing and the report says why.

Paths are judged by identity: the folders' (device, inode) pairs, walked
upwards with ``os.stat`` from the target's folder, so ``..``, symlinked
folders, ``/proc/*/cwd`` and relative paths resolve exactly as the kernel
resolves them. The hook touches nothing graded code can replace: every
function and table it uses is bound as a default argument at arming time
(function defaults cannot be reached from a frame, and changing them is
refused), and its tables are immutable.
"""

import faulthandler
import os
import resource
import signal
import sys
import types

FORBIDDEN_PACKAGES = frozenset({"reference", "grader"})  # importing these is borrowing the answer
BLOCKED_IMPORTS = {  # modules whose use has no audit event of its own
    "_posixsubprocess": "start other programs",
    "ctypes": "use ctypes",
    "_ctypes": "use ctypes",
}
REFUSED_EVENTS = {
    "os.exec": "start other programs", "os.fork": "start other programs",
    "os.forkpty": "start other programs", "os.posix_spawn": "start other programs",
    "os.spawn": "start other programs", "os.system": "start other programs",
    "os.startfile": "start other programs", "subprocess.Popen": "start other programs",
    "os.killpg": "send signals to other processes",
    "os.chdir": "change the working folder", "os.symlink": "create symbolic links",
    "gc.get_objects": "inspect the garbage collector", "gc.get_referrers": "inspect the garbage collector",
    "gc.get_referents": "inspect the garbage collector",
    "sys.settrace": "install a tracer", "sys.setprofile": "install a profiler",
    "sys.monitoring.register_callback": "install a monitoring callback",
    "sys.addaudithook": "install an audit hook",
    "resource.setrlimit": "change resource limits", "resource.prlimit": "change resource limits",
}
REFUSED_PREFIXES = (("socket.", "use the network"), ("ctypes.", "use ctypes"))
GUARDED_ATTRIBUTES = frozenset({"__code__", "__defaults__", "__kwdefaults__"})  # of the guard's own functions
# events that change the file system: (indexes of the paths, indexes of dir_fd arguments)
PATH_WRITES = {
    "os.chmod": ((0,), (2,)), "os.chown": ((0,), (3,)), "os.chflags": ((0,), ()),
    "os.lchflags": ((0,), ()), "os.mkdir": ((0,), (2,)), "os.remove": ((0,), (1,)),
    "os.rmdir": ((0,), (1,)), "os.rename": ((0, 1), (2, 3)), "os.truncate": ((0,), ()),
    "os.utime": ((0,), (3,)), "os.link": ((1,), (2, 3)), "os.setxattr": ((0,), ()),
    "os.removexattr": ((0,), ()), "shutil.rmtree": ((0,), (1,)),
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# zones: what a folder is to the grader; the innermost known folder around a path decides
SCRATCH, GRADED, PROTECTED, KIT, GRADING_PROCESS, OTHER_WORKERS, OTHER_PROCESS, PROC, OWN_PROCESS, OUTSIDE = (
    "scratch", "graded", "protected", "kit", "grading", "other workers", "other process", "proc", "own process",
    "outside")
# another worker may hold the reference: its folder and its process are as much off limits as reference/
FLAGGED_READS = frozenset({PROTECTED, GRADING_PROCESS, OTHER_WORKERS, OTHER_PROCESS})
FLAGGED_WRITES = frozenset({PROTECTED, KIT, GRADING_PROCESS, OTHER_WORKERS, OTHER_PROCESS})
MAX_DEPTH = 64  # folders walked up from a path before giving up (and refusing)
JSON_ESCAPES = {**{i: f"\\u{i:04x}" for i in range(32)}, ord('"'): '\\"', ord("\\"): "\\\\"}


def arm(config, pack):
    """Set the limits and install the hook; ``pack`` frames a message for the reply pipe."""
    _watch_parent(config["request_fd"])
    _limit_resources(config)
    dump_fd = config["dump_fd"]
    faulthandler.enable(file=dump_fd, all_threads=False)
    faulthandler.register(signal.SIGUSR1, file=dump_fd, all_threads=False, chain=False)
    sys.addaudithook(_make_hook(config, pack))


def _watch_parent(request_fd):
    """End the worker when the grading process goes away, even while graded code runs.

    The grading process holds the only write end of the request pipe: when it
    exits (or is killed), the pipe hangs up. A thread waits for that, without
    consuming requests, and with every signal blocked so that signals reach the
    thread running graded code.
    """
    import _thread
    import select

    def wait_for_hangup():
        signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        poller = select.poll()
        poller.register(request_fd, 0)  # no events asked: only hang-up, error or a closed fd
        poller.poll()
        os._exit(0)

    _thread.start_new_thread(wait_for_hangup, ())


def _limit_resources(config):
    """Bound memory, file size (the output), CPU time, core dumps and processes; best effort off Linux."""
    memory = config["memory_mb"] * 1024 * 1024
    cpu = config["cpu_seconds"]
    limits = (
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_FSIZE, (config["output_limit"], config["output_limit"])),
        (resource.RLIMIT_CPU, (cpu, cpu + 5)),  # SIGXCPU at the soft limit, SIGKILL at the hard one
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_NPROC, (0, 0)),  # no new process or thread (the kernel exempts root)
    )
    for which, values in limits:
        try:
            resource.setrlimit(which, values)
        except (ValueError, OSError):
            pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the limit fails instead of killing


def _identity(path, stat=os.stat):
    try:
        st = stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _zones(config):
    """The folders the grader cares about, by identity; innermost wins, the graded folder over all."""
    zones = {}
    places = [("/", OUTSIDE), (config["kit_root"], KIT), ("/proc", PROC), ("/proc/self", OWN_PROCESS),
              (f"/proc/{os.getppid()}", GRADING_PROCESS)]
    places += [(path, PROTECTED) for path in config["protected"]]
    places += [(config["run_dir"], OTHER_WORKERS), (config["folder"], GRADED), (config["scratch"], SCRATCH)]
    for path, zone in places:
        identity = _identity(path)
        if identity is not None:
            zones[identity] = zone
    return types.MappingProxyType(zones)


def _text(path, str_type=str, bytes_type=bytes, type_of=type, isinstance=isinstance, to_str=str.__str__,
          decode=bytes.decode, encoding=sys.getfilesystemencoding()):
    """``path`` as a plain ``str`` made by C code only, or None when it is something else."""
    if type_of(path) is str_type:
        return path
    if isinstance(path, str_type):
        return to_str(path)
    if isinstance(path, bytes_type):
        return decode(path, encoding, "surrogateescape")
    return None


def _parent(path, rpartition=str.rpartition):
    head, sep, _ = rpartition(path, "/")
    if not sep:
        return "."
    return head or "/"


def _zone_of(folder, zones, stat=os.stat, parent=_parent, oserror=OSError, depth=range(MAX_DEPTH), proc=PROC,
             other_process=OTHER_PROCESS, outside=OUTSIDE):
    """The zone of the innermost known folder holding ``folder`` (itself included), walking up by ``..``."""
    below = None
    for _ in depth:
        try:
            st = stat(folder)
        except oserror:  # a folder that does not exist (yet): judge the one its name is in
            if folder in ("/", "."):
                return None
            folder = parent(folder)
            continue
        zone = zones.get((st.st_dev, st.st_ino))
        if zone == proc:  # came up through /proc/<pid> (it has a status file) of a process not this one?
            if below is None:
                return outside
            try:
                stat(below + "/status")
            except oserror:
                return outside
            return other_process
        if zone is not None:
            return zone
        folder, below = folder + "/..", folder
    return None


def _locate(path, zones, lstat=os.lstat, stat=os.stat, readlink=os.readlink, parent=_parent, zone_of=_zone_of,
            startswith=str.startswith, oserror=OSError, depth=range(MAX_DEPTH)):
    """Where ``path`` is: ``(zones, target, resolved)``.

    ``zones`` holds the zone of the path's own folder and of the folder its
    last symlinks lead to (a /proc "magic" link resolves only in the kernel,
    so both count); ``target`` is ``(device, inode, is_folder)`` of the path
    itself, or None if it does not exist (yet); ``resolved`` is the path with
    its last symlinks followed.
    """
    resolved = path
    for _ in depth:  # follow symlinks in the last component, as open() would
        try:
            st = lstat(resolved)
        except oserror:
            break
        if st.st_mode & 0o170000 != 0o120000:
            break
        link = readlink(resolved)
        resolved = link if startswith(link, "/") else parent(resolved) + "/" + link
    try:
        st = stat(path)
        target = (st.st_dev, st.st_ino, st.st_mode & 0o170000 == 0o040000)
    except oserror:
        target = None
    return (zone_of(parent(path), zones), zone_of(parent(resolved), zones)), target, resolved


def _culprit(folder_prefix, getframe=sys._getframe, startswith=str.startswith, to_str=str.__str__,
             rpartition=str.rpartition, len=len):
    """The submission module whose code is on the stack (innermost), or None if none is."""
    frame = getframe(1)
    while frame is not None:
        filename = to_str(frame.f_code.co_filename)
        if startswith(filename, folder_prefix):
            stem, dot, _ = rpartition(filename[len(folder_prefix):], ".")
            return stem if dot else None
        frame = frame.f_back
    return None


def _shown(path, prefixes, startswith=str.startswith, partition=str.partition, len=len):
    """A path as the report shows it: short, and the same every run (no temporary folder, no pid).

    ``prefixes`` are ``(prefix, shown as, drop the next folder too)``: the
    kit's root, the run's folder of worker scratch folders, the grading
    process's /proc folder.
    """
    for prefix, replacement, drop_folder in prefixes:
        if startswith(path, prefix):
            rest = path[len(prefix):]
            path = replacement + (partition(rest, "/")[2] if drop_folder else rest)
            break
    return path if len(path) <= 200 else path[:200] + "..."


def _flag(reason, folder_prefix, reply_fd, pack, culprit=_culprit, translate=str.translate, encode=str.encode,
          write=os.write, oserror=OSError, escapes=types.MappingProxyType(JSON_ESCAPES), len=len):
    """Tell the grading process at once: whatever graded code does next, this is already said."""
    module = culprit(folder_prefix)
    module_json = "null" if module is None else '"' + translate(module, escapes) + '"'
    body = encode('{"flag":{"module":' + module_json + ',"reason":"' + translate(reason, escapes) + '"}}',
                  "utf-8", "backslashreplace")
    try:
        write(reply_fd, pack(len(body)) + body)
    except oserror:
        pass


def _absolute(name, cwd, startswith=str.startswith, split=str.split, join=str.join):
    """``name`` as an absolute path, ``.`` and ``..`` worked out from its text alone."""
    if not startswith(name, "/"):
        name = cwd + "/" + name
    parts = []
    for part in split(name, "/"):
        if part == "..":
            parts[-1:] = []
        elif part not in ("", "."):
            parts += [part]
    return "/" + join("/", parts)


def _named_zone(absolute, watched, startswith=str.startswith):
    """The zone of the innermost watched folder whose name ``absolute`` starts with, or None."""
    for prefix, zone in watched:  # longest first
        if startswith(absolute + "/", prefix):
            return zone
    return None


def _judge_path(path, writing, is_os_open, place, text=_text, locate=_locate, flag=_flag, shown=_shown,
                absolute=_absolute, named_zone=_named_zone,
                rpartition=str.rpartition, partition=str.partition, startswith=str.startswith,
                error=PermissionError, scratch=SCRATCH, other_process=OTHER_PROCESS,
                flagged_writes=FLAGGED_WRITES, flagged_reads=FLAGGED_READS, unknown=(None, OUTSIDE, KIT)):
    """Raise PermissionError (after flagging it, when it looks like cheating) unless the access is allowed.

    ``place`` is the arming-time tuple (zones, /dev/null's identity, /proc's
    device, graded folder prefix, prefixes for ``_shown``, reply fd, pack,
    the watched folders by name, the working folder). Under ``os`` and
    ``user`` isolation the kit is out of sight (it does not exist, or cannot
    be looked into), so where identities find nothing of the grader's, the
    path's name is judged too: reaching for the reference by its place is
    the same attempt in every mode.
    """
    zones, devnull, proc_device, folder_prefix, prefixes, reply_fd, pack, watched, cwd = place
    name = text(path)
    if name is None:
        raise error("the grader only lets graded code open files by plain str or bytes paths")
    (here, there), target, resolved = locate(name, zones)
    named = absolute(name, cwd)
    by_name = named_zone(named, watched)
    if here in unknown and there in unknown and by_name is not None:
        here, resolved = by_name, named
    shown_name = named if by_name in flagged_reads else name
    if target is not None and target[0] == proc_device and "mem" in (rpartition(name, "/")[2],
                                                                     rpartition(resolved, "/")[2]):
        flag("tried to read a process's memory", folder_prefix, reply_fd, pack)
        raise error("the grader does not let graded code read process memory")
    if writing:
        if (here == scratch and there == scratch) or (target is not None and target[:2] == devnull):
            return
        if here in flagged_writes or there in flagged_writes:
            flag(f"tried to write {shown(resolved, prefixes)}", folder_prefix, reply_fd, pack)
        raise error(f"the grader does not let graded code write {name}: write only in the current folder")
    if here in flagged_reads or there in flagged_reads:
        if here == other_process:  # no pid in the report: the same submission, the same words
            rest = partition(name[6:], "/")[2] if startswith(name, "/proc/") else "..."
            shown_path = "/proc/<another process>/" + rest
        else:
            shown_path = shown(shown_name if here in flagged_reads else resolved, prefixes)
        flag(f"tried to read {shown_path}", folder_prefix, reply_fd, pack)
        raise error(f"the grader does not let graded code read {name}")
    if is_os_open and target is not None and target[2]:
        raise error("the grader does not let graded code open folders")


def _hook(event, args, place=None, own_pid=None, judge=_judge_path, flag=_flag, type_of=type, int_type=int,
          len=len, bool=bool, startswith=str.startswith, partition=str.partition,
          refused=types.MappingProxyType(REFUSED_EVENTS), prefixes=REFUSED_PREFIXES,
          blocked_imports=types.MappingProxyType(BLOCKED_IMPORTS), forbidden=FORBIDDEN_PACKAGES,
          path_writes=types.MappingProxyType(PATH_WRITES), guarded=GUARDED_ATTRIBUTES,
          write_flags=WRITE_FLAGS, error=PermissionError, import_error=ImportError, text=_text, guard_file=None):
    """The audit hook; ``place`` and ``own_pid`` are bound at arming (see ``_make_hook``)."""
    if event == "open":
        path, mode, flags = args
        if type_of(path) is not int_type:  # an int is a file descriptor already open
            judge(path, bool(flags & write_flags), mode is None, place)
    elif event == "import":
        top = partition(args[0], ".")[0]
        if top in forbidden:
            flag(f"tried to import {args[0]}", place[3], place[5], place[6])
            raise import_error(f"the grader does not let graded code import {args[0]}", name=args[0])
        if top in blocked_imports:
            raise import_error(f"the grader does not let graded code {blocked_imports[top]}", name=args[0])
    elif event == "object.__setattr__":
        if args[1] in guarded and args[0].__code__.co_filename == guard_file:
            raise error(f"the grader does not let graded code change its guard's {args[1]}")
    elif event in path_writes:
        paths, dir_fds = path_writes[event]
        for index in dir_fds:
            if index < len(args) and args[index] not in (None, -1):
                raise error("the grader does not let graded code use dir_fd")
        if event == "os.link":
            judge(args[0], False, False, place)
        for index in paths:
            if type_of(args[index]) is not int_type:
                judge(args[index], True, False, place)
    elif event == "sqlite3.connect":  # SQLite opens (and creates) its file itself, with no "open" event
        database = args[0]
        if type_of(database) is not int_type and database not in ("", ":memory:", b"", b":memory:"):
            if startswith(text(database) or "", "file:"):  # a URI: SQLite, not the path, says which file
                raise error("the grader does not let graded code open SQLite databases by URI")
            judge(database, True, False, place)
    elif event == "os.kill":
        if args[0] != own_pid:
            raise error("the grader does not let graded code send signals to other processes")
    elif event in refused:
        raise error(f"the grader does not let graded code {refused[event]}")
    else:
        for prefix, what in prefixes:
            if startswith(event, prefix):
                raise error(f"the grader does not let graded code {what}")


def _make_hook(config, pack):
    """``_hook`` with this worker's places bound as defaults: no closure, no global left to patch."""
    proc = _identity("/proc")
    prefixes = ((config["kit_root"].rstrip("/") + "/", "", False),
                (config["run_dir"].rstrip("/") + "/", "<another worker's folder>/", True),
                (f"/proc/{os.getppid()}/", "/proc/<the grading process>/", False))
    kit = config["kit_root"].rstrip("/") + "/"
    watched = [(path.rstrip("/") + "/", PROTECTED) for path in config["protected"]]
    watched += [(config["run_dir"].rstrip("/") + "/", OTHER_WORKERS), (kit, KIT)]
    watched = tuple(sorted(watched, key=lambda entry: -len(entry[0])))
    place = (_zones(config), _identity("/dev/null"), proc and proc[0], config["folder"].rstrip("/") + "/",
             prefixes, config["reply_fd"], pack, watched, os.getcwd())
    defaults = (place, os.getpid()) + _hook.__defaults__[2:-1] + (_hook.__code__.co_filename,)
    return types.FunctionType(_hook.__code__, {}, "guard_hook", defaults)
