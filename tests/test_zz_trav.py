from test_annotate_api import TRAVERSALS, _raw_get, live, scene_fx, _ctx  # noqa
def test_p(live):
    for p in TRAVERSALS:
        print("##", p, *_raw_get(live.port, p))
