"""The Dataset workspace: the sprite sheet, clicking a sprite, the filter, the palette."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402

from studio.data.palette import Palette  # noqa: E402
from studio.data.sprites import SpriteSet  # noqa: E402
from studio.gui.context import StudioContext  # noqa: E402
from studio.gui.dataset_model import SpriteSheet, sprite_details  # noqa: E402
from studio.gui.dataset_workspace import DatasetWorkspace  # noqa: E402
from studio.gui.widgets import PaletteView, PixelImageView  # noqa: E402


def make_sprites(n=50, k=12, seed=0) -> SpriteSet:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, k, (n, 20, 20))
    idx[:, :5] = 0  # some background on every sprite
    colors = rng.integers(0, 256, (k, 3))
    colors[0] = 255
    return SpriteSet(idx, Palette(colors), name="random", source="test",
                     labels=[f"sprite{i:03d}" for i in range(n)])


@pytest.fixture
def workspace(qtbot):
    context = StudioContext()
    ws = DatasetWorkspace(context)
    ws._context_ref = context  # keep the context alive as long as the widget
    qtbot.addWidget(ws)
    ws.resize(1100, 700)
    ws.show()
    qtbot.waitExposed(ws)
    context.set_dataset(make_sprites())
    return ws


def test_sheet_maps_pixels_to_sprites_both_ways():
    ds = make_sprites(n=23)
    sheet = SpriteSheet(ds, columns=5)
    img = sheet.render()
    assert img.dtype == np.uint8 and img.shape == (5 * 21 + 1, 5 * 21 + 1, 3)
    for pos in range(len(sheet)):
        x, y, w, h = sheet.cell_rect(pos)
        assert sheet.sprite_at(x, y) == pos and sheet.sprite_at(x + w - 1, y + h - 1) == pos
        assert np.array_equal(img[y:y + h, x:x + w], ds.rgb(pos))
    assert sheet.sprite_at(0, 0) is None  # the gap
    assert sheet.sprite_at(*sheet.cell_rect(4)[:2]) == 4
    assert sheet.sprite_at(4 * 21 + 1, 4 * 21 + 1) is None  # past the last sprite


def test_filter_shows_the_split():
    ds = make_sprites(n=40)
    train, held = ds.split()
    sheet = SpriteSheet(ds, "Held-out")
    assert list(sheet.shown) == list(held)
    x, y, _, _ = sheet.cell_rect(0)
    assert sheet.sprite_at(x, y) == held[0]
    assert sheet.details(int(held[0])).split == "held-out"
    assert SpriteSheet(ds, "Train").details(int(train[0])).split == "train"


def test_sprite_details_counts_colours():
    ds = make_sprites()
    d = sprite_details(ds, 3)
    assert sorted(d.colors.tolist()) == sorted(np.unique(ds.indices[3]).tolist())
    assert d.counts.sum() == 400 and d.counts[0] == d.counts.max()
    assert d.background_share == pytest.approx((ds.indices[3] == 0).mean())
    assert d.label == "sprite003"


def test_clicking_a_sprite_shows_its_details(workspace, qtbot):
    ws = workspace
    sheet = ws.sheet
    x, y, w, h = sheet.cell_rect(7)
    with qtbot.waitSignal(ws.spriteSelected, timeout=3000) as blocker:
        qtbot.mouseClick(ws.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=ws.view.image_to_widget(x + w / 2, y + h / 2))
    assert blocker.args == [7]
    assert ws.detail_labels["Index"].text() == "7"
    assert ws.detail_labels["Label"].text() == "sprite007"
    assert ws.detail_labels["Split"].text() in ("train", "held-out")
    assert ws.detail_labels["Colours"].text().startswith(str(len(np.unique(ws.context.dataset.indices[7]))))
    assert "%" in ws.detail_labels["Background"].text()
    assert ws.preview.pixmap().width() == 20 * 8
    assert ws.palette_view.highlighted() == set(np.unique(ws.context.dataset.indices[7]).tolist())
    rect = ws.view.highlight_rect()
    assert rect is not None and rect.contains(x + 1, y + 1)
    # Clicking a gap between sprites keeps the selection.
    qtbot.mouseClick(ws.view.viewport(), Qt.MouseButton.LeftButton, pos=ws.view.image_to_widget(0.3, 0.3))
    assert ws.selected == 7


def test_filter_changes_the_sheet(workspace):
    ws = workspace
    n = len(ws.context.dataset)
    held = ws.context.dataset.split()[1]
    ws.set_filter("Held-out")
    assert len(ws.sheet) == len(held) and f"{len(held)} of {n}" in ws.count_label.text()
    ws.select(int(held[0]))
    assert ws.view.highlight_rect() is not None
    ws.set_filter("Train")  # the selected sprite is not in the sheet any more
    assert ws.view.highlight_rect() is None and ws.detail_labels["Split"].text() == "held-out"


def test_new_dataset_resets_the_view(workspace):
    ws = workspace
    ws.select(2)
    ws.context.set_dataset(make_sprites(n=10, k=5, seed=1))
    assert ws.selected is None and ws.view.highlight_rect() is None
    assert ws.palette_box.title().startswith("Palette — 5 colours")
    assert ws.view.image_shape() == ws.sheet.render().shape[:2]


def test_pixel_image_view_is_pixel_exact(qtbot):
    view = PixelImageView()
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    qtbot.waitExposed(view)
    checker = np.zeros((4, 4, 3), np.uint8)
    checker[::2, ::2] = checker[1::2, 1::2] = 255
    view.set_image(checker)
    clicks = []
    view.pixelClicked.connect(lambda x, y: clicks.append((x, y)))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.image_to_widget(2.5, 1.5))
    assert clicks == [(2, 1)]
    # Rendered without smoothing: only pure black and white, no grey in between.
    grab = view.grab().toImage()
    p = view.image_to_widget(0, 0)
    q = view.image_to_widget(4, 4)
    greys = {grab.pixelColor(QPoint(x, y)).red() for x in range(p.x() + 2, q.x() - 2, 3)
             for y in range(p.y() + 2, q.y() - 2, 3)}
    assert greys <= {0, 255}


def test_palette_view_tooltips_and_clicks(qtbot):
    pv = PaletteView()
    qtbot.addWidget(pv)
    pv.set_colors(np.array([[255, 255, 255], [10, 20, 30], [200, 0, 0]], np.uint8))
    pv.resize(200, 40)
    pv.show()
    qtbot.waitExposed(pv)
    r = pv.swatch_rect(1)
    assert pv.index_at(int(r.center().x()), int(r.center().y())) == 1
    assert "index 1" in pv.tooltip_text(1) and "10 20 30" in pv.tooltip_text(1)
    assert "background" in pv.tooltip_text(0)
    with qtbot.waitSignal(pv.colorClicked) as blocker:
        qtbot.mouseClick(pv, Qt.MouseButton.LeftButton, pos=r.center().toPoint())
    assert blocker.args == [1]


def test_792_sprites_make_one_landscape_sheet(qtbot):
    # One ImageItem for the whole sheet (not 792 widgets) is what keeps this fast; no timing
    # assertion here, since a loaded CI machine would make it flaky.
    rng = np.random.default_rng(0)
    ds = SpriteSet(rng.integers(0, 167, (792, 20, 20)), Palette(rng.integers(0, 256, (167, 3))))
    context = StudioContext()
    ws = DatasetWorkspace(context)
    qtbot.addWidget(ws)
    context.set_dataset(ds)
    ws.select(500)
    assert ws.view.image_shape() == (22 * 21 + 1, 36 * 21 + 1)
    assert ws.sheet.columns == 36 and len(ws.sheet) == 792
