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
    ],
    # kaldiio is the independent reference our own Kaldi codec is tested and benchmarked against.
    extras_require={"test": ["pytest>=7", "hypothesis>=6", "ruff>=0.4", "kaldiio>=2.18,<3"]},
)
