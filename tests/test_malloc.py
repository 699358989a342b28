"""glibc's malloc thresholds (graphgrad/malloc.py): eager temporaries reuse the heap's pages
instead of faulting fresh ones in on every step."""
import os
import subprocess
import sys

import pytest

from graphgrad import malloc

GLIBC = sys.platform.startswith("linux") and bool(os.confstr("CS_GNU_LIBC_VERSION"))

# eight 512 KiB temporaries alive at once, then all freed: the heap's top grows and shrinks
# every step, and glibc's defaults give the memory back to the system each time
PAGE_FAULTS_PER_STEP = """
import resource
import graphgrad as gg
a = gg.randn(16, 32, 256)
def step():
    parts = [a * float(i) for i in range(8)]
    return sum(p.sum() for p in parts)
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def faults_per_step(**env):
    environ = {k: v for k, v in os.environ.items()
               if k not in ("GRAPHGRAD_MALLOC", "MALLOC_MMAP_THRESHOLD_",
                            "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")}
    out = subprocess.run([sys.executable, "-c", PAGE_FAULTS_PER_STEP], env={**environ, **env},
                         capture_output=True, text=True, check=True)
    return float(out.stdout)


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc only")
def test_eager_temporaries_reuse_the_heap_instead_of_faulting_pages_in():
    # 512 KiB temporaries are 128 pages each: the system setting faults most of them in again
    assert faults_per_step(GRAPHGRAD_MALLOC="system") > 500
    assert faults_per_step() < 10
    # glibc's own settings win over graphgrad's
    assert faults_per_step(MALLOC_TRIM_THRESHOLD_="131072") > 500


def test_settings_that_leave_glibc_as_it_is():
    assert malloc.tune("system") is False
    assert malloc.tune(environ={"MALLOC_MMAP_THRESHOLD_": "131072"}) is False
    assert malloc.tune(environ={"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"}) is False
    assert malloc.glibc_settings_given({"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2"}) is False


def test_an_unknown_setting_is_refused_by_name():
    with pytest.raises(ValueError, match="GRAPHGRAD_MALLOC must be 'tuned' or 'system'"):
        malloc.tune("fast", environ={})
