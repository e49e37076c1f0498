import greenlet


def test_switch():
    seen = []

    def child(x):
        seen.append(x)
        y = main.switch(x + 1)
        seen.append(y)
        return "done"

    main = greenlet.getcurrent()
    g = greenlet.greenlet(child)
    assert g.switch(1) == 2
    assert g.switch(10) == "done"
    assert seen == [1, 10] and g.dead
