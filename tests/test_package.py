import subprocess
import sys


def test_import_kaldinn_does_not_import_torch():
    code = "import sys, kaldinn, kaldinn.io.text_table, kaldinn.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
