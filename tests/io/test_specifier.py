"""rspecifier / wspecifier grammar, including the rejections Kaldi makes."""

import pytest

from kaldinn.errors import TableError
from kaldinn.io.specifier import is_rspecifier, parse_rspecifier, parse_wspecifier


def test_rspecifier_options():
    spec = parse_rspecifier("ark,s,cs,o,p,bg,t:feats.ark")
    assert (spec.kind, spec.path) == ("ark", "feats.ark")
    assert spec.sorted and spec.called_sorted and spec.once and spec.permissive and spec.background
    neg = parse_rspecifier("scp,ns,ncs,no,np,b:data/feats.scp")
    assert neg.kind == "scp" and not (neg.sorted or neg.called_sorted or neg.once or neg.permissive)


def test_rspecifier_keeps_pipes_and_colons_in_path():
    assert parse_rspecifier("ark:gunzip -c a:b.gz |").path == "gunzip -c a:b.gz |"
    assert parse_rspecifier("ark:-").path == "-"


@pytest.mark.parametrize(
    "text", ["feats.ark", "ark,scp:a.ark,a.scp", "scp,ark:a", "ark,x:a", "ark:", ":a", "t:a", "ark,f:a"]
)
def test_bad_rspecifier_names_it(text):
    with pytest.raises(TableError, match="rspecifier"):
        parse_rspecifier(text)


def test_wspecifier_forms():
    both = parse_wspecifier("ark,scp,t,f:out/a.ark,out/a.scp")
    assert (both.ark, both.scp, both.binary, both.flush) == ("out/a.ark", "out/a.scp", False, True)
    assert parse_wspecifier("ark:| gzip -c > a.gz").ark == "| gzip -c > a.gz"
    only = parse_wspecifier("scp,p:targets.scp")
    assert (only.ark, only.scp, only.permissive) == (None, "targets.scp", True)
    assert parse_wspecifier("ark,b,nf:-").binary


@pytest.mark.parametrize(
    "text", ["scp,ark:a.ark,a.scp", "ark,scp:a.ark", "ark,o:a", "ark,s:a", "foo:a", "a.ark"]
)
def test_bad_wspecifier_names_it(text):
    with pytest.raises(TableError, match="wspecifier") as err:
        parse_wspecifier(text)
    assert repr(text) in str(err.value)


def test_is_rspecifier():
    assert is_rspecifier("ark,t:-") and is_rspecifier("scp:x.scp")
    assert not is_rspecifier("feats.ark:123") and not is_rspecifier("foo.mat")
