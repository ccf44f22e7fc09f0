from robomask.cli.main import main
import pytest

def test_merge_runs(make_scene, capsys):
    sc = make_scene()
    with pytest.raises(SystemExit) as e:
        main(["merge", "--config", str(sc.config_path), "--scene", sc.name])
    assert e.value.code == 0, capsys.readouterr()
    assert len(list((sc.out_dir / sc.name).glob("*.png"))) == sc.num_frames
