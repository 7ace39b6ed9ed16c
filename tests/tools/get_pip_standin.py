"""Offline stand-in for ansible-test's ``get-pip-<version>.py``.

ansible-test bootstraps pip into the virtual environments it manages by
downloading ``get-pip-<version>.py`` from its own download host, unless a copy
is cached as ``~/.ansible/test/cache/get_pip_<version>.py``. That host is not
reachable everywhere, so ``scripts/sanity.sh`` places this file
there under every name the installed ansible-test versions ask for.

It does what get-pip does, from local means: bootstrap pip with the
interpreter's own ``ensurepip``, then ``python -m pip install <arguments>`` (the
arguments name the pip version ansible-test pins). get-pip-only options
(``--no-setuptools``, ``--no-wheel``) are dropped.
"""

from __future__ import annotations

import os
import subprocess
import sys

GET_PIP_ONLY_OPTIONS = frozenset(('--no-setuptools', '--no-wheel'))


def pip_environment() -> dict[str, str]:
    """Environment for pip, without the settings ensurepip leaves behind."""
    env = os.environ.copy()
    # ensurepip sets PIP_CONFIG_FILE=/dev/null: pip would then ignore the
    # machine's pip.conf (certificates, index) and fail to reach the index.
    env.pop('PIP_CONFIG_FILE', None)
    return env


def main(argv: list[str]) -> int:
    """Bootstrap pip, then install what ansible-test asked for."""
    env = pip_environment()
    python = sys.executable

    have_pip = subprocess.call([python, '-c', 'import pip'], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
    if not have_pip:
        subprocess.check_call([python, '-m', 'ensurepip', '--default-pip'], env=env)

    args = [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]
    packages = [arg for arg in args if not arg.startswith('-')]
    if not packages:
        return 0
    return subprocess.call([python, '-m', 'pip', 'install'] + args, env=pip_environment())


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
