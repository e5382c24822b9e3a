"""Package metadata for kaldinn: Kaldi-style recipes with PyTorch networks."""

from setuptools import find_packages, setup

setup(
    name="kaldinn",
    version="0.1.0",
    description="Kaldi-style recipe suite with PyTorch networks",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["kaldinn", "kaldinn.*"]),
    install_requires=[
        # torch is installed by the Makefile (TORCH_SPEC) so CPU and CUDA hosts pick their build.
        "torch>=2.1",
        "kaldi-native-fbank>=1.20,<2",
        "numpy>=1.24",
        "pandas>=2.0",
        "tqdm>=4.60",
        "pyyaml>=6.0",
        "soundfile>=0.12",
        "matplotlib>=3.7",
        "espeakng-loader>=0.2.4,<0.3",
        "sentencepiece>=0.1.99",
        # Hybrid decoding in-process (kaldinn.decode.hybrid; steps/decode_hybrid.sh without Kaldi).
        # kaldifst reads HCLG.fst (const or vector) and builds FSTs; kaldi-decoder runs Kaldi's
        # FasterDecoder on them. The two are separate pybind11 extensions passing FST objects to
        # each other, so they are pinned as a pair measured to work together (Kaldi's 1-best on the
        # reference; tests/decode/test_hybrid_versions.py checks the pins and an FST handed across).
        # Not kaldi-hmm-gmm: 1.1.4 is built against kaldifst 1.7.x and refuses 1.8.x FSTs.
        "kaldifst==1.8.3",
        "kaldi-decoder==0.3.2",
    ],
    # kaldiio is the independent reference our own Kaldi codec is tested and benchmarked against.
    extras_require={"test": ["pytest>=7", "hypothesis>=6", "ruff>=0.4", "kaldiio>=2.18,<3"]},
)
