# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built collection carries the licence its files cite, and no placeholder URL."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
LICENSE = 'LICENSES/GPL-3.0-or-later.txt'


def test_the_cited_licence_is_shipped(tmp_path):
    assert 'GNU GENERAL PUBLIC LICENSE' in (ROOT / LICENSE).read_text()[:200]
    subprocess.run([str(Path(sys.executable).parent / 'ansible-galaxy'), 'collection', 'build', str(ROOT),
                    '--output-path', str(tmp_path)], check=True, capture_output=True, text=True)
    (tarball,) = tmp_path.glob('podim-fleet-*.tar.gz')
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    assert LICENSE in names


def test_galaxy_metadata_names_nothing_untrue():
    meta = yaml.safe_load((ROOT / 'galaxy.yml').read_text())
    assert meta['license'] == ['GPL-3.0-or-later']
    # only the repository ansible-lint requires may name the reserved .invalid domain
    assert [key for key, value in meta.items() if 'example.invalid' in str(value)] == ['repository']
    assert not {'documentation', 'homepage', 'issues'} & set(meta)
