"""Start 学籍's web server and its task worker together; stop both together.

    .venv/bin/python scripts/serve.py --bind 127.0.0.1:8000          # make run: gunicorn + worker
    .venv/bin/python scripts/serve.py --dev --bind 127.0.0.1:8000    # make dev: runserver + worker, reloading

- The web server: gunicorn (WSGI, ``xueji.wsgi``; static files through WhiteNoise; access
  and error logs on standard output), or with ``--dev`` Django's ``runserver``.
- The worker: ``manage.py jobs_worker`` (reaps jobs a dead worker left, then runs the
  queue of django-tasks' database backend).
- Both run in their own session, so Ctrl-C reaches only this launcher, which forwards one
  SIGTERM to each: gunicorn stops, the worker finishes the job it is running. A second
  Ctrl-C kills both at once (the interrupted job is undone when a worker next starts).
- When either child exits by itself, the other is stopped and this launcher exits with
  the child's exit code.

Only the standard library: the children load Django.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def commands(bind: str, dev: bool, workers: int, task_workers: int = 1) -> dict[str, list[str]]:
    manage = [sys.executable, str(ROOT / "manage.py")]
    if dev:
        web = [*manage, "runserver", bind]
        worker = [*manage, "jobs_worker", "--reload"]
    else:
        gunicorn = str(BIN / "gunicorn") if (BIN / "gunicorn").exists() else "gunicorn"
        web = [gunicorn, "xueji.wsgi:application", "--bind", bind, "--workers", str(workers), "--threads", "4",
               "--worker-class", "gthread", "--timeout", "120", "--graceful-timeout", "20",
               "--access-logfile", "-", "--error-logfile", "-", "--capture-output", "--no-control-socket",
               "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms']
        worker = [*manage, "jobs_worker"]
    named = {"网站服务": web}
    for n in range(max(1, task_workers)):
        named["后台任务进程" + (f"{n + 1}" if task_workers > 1 else "")] = worker
    return named


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="启动学籍网站服务和后台任务进程")
    parser.add_argument("--bind", default="127.0.0.1:8000")
    parser.add_argument("--dev", action="store_true", help="runserver 与自动重载(开发用)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("XUEJI_WEB_WORKERS", "2")),
                        help="gunicorn 工作进程数")
    parser.add_argument("--task-workers", type=int, default=int(os.environ.get("XUEJI_TASK_WORKERS", "1")),
                        help="后台任务进程数(每个一次执行一个任务)")
    options = parser.parse_args(argv)

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    children: dict[str, subprocess.Popen] = {}
    for name, command in commands(options.bind, options.dev, options.workers, options.task_workers).items():
        children[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    pids = ",".join(f"{name} {child.pid}" for name, child in children.items())
    print(f"学籍已启动:http://{options.bind}/ ({pids});按 Ctrl-C 停止", flush=True)

    stopping = {"count": 0}

    def stop(signum, frame):
        stopping["count"] += 1
        if stopping["count"] == 1:
            print("正在停止:网站服务立即停止,后台任务进程完成当前任务后停止(再按 Ctrl-C 立即停止)", flush=True)
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
        else:
            for child in children.values():
                if child.poll() is None:
                    child.kill()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    code = 0
    while any(child.poll() is None for child in children.values()):
        for name, child in children.items():
            if child.poll() is not None and not stopping["count"]:
                code = child.returncode or 0
                print(f"{name}已退出(退出码 {child.returncode}),停止其余进程", flush=True)
                stop(signal.SIGTERM, None)
        time.sleep(0.2)
    return code


if __name__ == "__main__":
    sys.exit(main())
