"""Help → Guide: a short guide per workspace (what the model is, what the plots mean, what to try)."""

GUIDES = {
    "Dataset": (
        "<h3>Dataset</h3><p>The sprites every model learns from: 20×20 pictures whose pixels are "
        "indices into a palette of colours. The studio opens on its built-in creatures; open the "
        "course's <i>pixel_color.txt</i> folder or any folder of images from the File menu, or drop "
        "a folder on the window.</p><p><b>Try:</b> click a sprite to see its colours; note the "
        "held-out sprites (10 %): models never train on them, so their scores show generalisation.</p>"),
    "GAN": (
        "<h3>GAN</h3><p>A generator G turns a random code z into a sprite; a discriminator D learns "
        "to tell generated sprites from real ones, and G learns to fool D.</p>"
        "<p><b>Plots:</b> the two losses (a stable game keeps them level, neither wins for good); "
        "D(x) and D(G(z)), D's belief that a real and a generated sprite are real; gradient norms "
        "(a jump warns of an unstable game); diversity ÷ real diversity (near 0: mode collapse, all "
        "samples alike); MMD² to held-out sprites (lower is closer to the real ones).</p>"
        "<p><b>Try:</b> press Train and watch the sample grid (the same codes z every time) go from "
        "noise to blobs to creatures; change the loss preset and compare in the Runs tab.</p>"),
    "PixelRNN": (
        "<h3>PixelRNN</h3><p>An LSTM reads a sprite pixel by pixel, row by row, and gives a "
        "probability for each colour of the next pixel. Completing a masked sprite draws the hidden "
        "pixels one at a time from those probabilities, keeping the visible ones.</p>"
        "<p><b>Plots (Train tab):</b> the loss (cross-entropy, nats) and bits per pixel; the held-out "
        "dots are the score the best checkpoint is kept for (a uniform guess costs log₂ K bits).</p>"
        "<p><b>Try:</b> Cover 75 %, press Complete, click a variant; raise the temperature for wilder "
        "variants; drop an image of your own on the canvas. Pick the transformer, the VAE or the GAN "
        "in the <i>Model</i> chooser to complete with it, or press <i>Compare all models</i> to see "
        "the best of each for the same mask, with its score and time.</p>"
        "<p><b>What the model thinks</b> (PixelRNN, the transformer, diffusion): at every pixel the "
        "model holds a guess over all the colours, given the pixels it may see (for PixelRNN and the "
        "transformer: the ones before it, row by row). Hover a pixel: the box lists its likeliest "
        "colours with their probabilities, and how many bits of surprise the colour that is there "
        "cost (−log2 p: 0 = sure, 1 = a coin flip, 6.6 = a 1 % guess). Tick <i>Surprise map</i> to "
        "colour every pixel by its surprise (dark = expected, bright = surprising); the total is the "
        "sprite's cost in bits, what the training curve averages into bits per pixel. For the "
        "transformer, the hover draws in cyan where it looked among the earlier pixels.</p>"
        "<p><b>Try:</b> the surprise map of a training sprite, then of a held-out one, then paint one "
        "pixel: only the pixels after it change — the model never sees what comes later.</p>"),
    "VAE": (
        "<h3>VAE</h3><p>An encoder maps a sprite to a 10-number code; a decoder maps codes back to "
        "sprites. The KL term keeps codes near N(0, I), so every point of the code space decodes to "
        "a sprite.</p><p><b>Plots (Train tab):</b> reconstruction and KL (nats per sprite), and the "
        "bound −ELBO on −log p(x) in bits per pixel, comparable with PixelRNN's score.</p>"
        "<p><b>Try:</b> move the sliders along the two most informative dimensions (largest KL); fix "
        "the other dimensions to a dataset sprite's code; click a cell of the grid; save a walk GIF "
        "between two sprites.</p>"),
    "GAN code space": (
        "<h3>GAN code space</h3><p>Every code z gives a sprite. The slider moves between two codes A "
        "and B, on the great circle (slerp) or the straight line; Play walks a loop through many.</p>"
        "<p><b>Is it new?</b> puts generated sprites beside their nearest training sprites: distance 0 "
        "means the generator copied one.</p><p><b>Try:</b> re-roll A and B until both look good, then "
        "slide between them; compare slerp with the straight line in the middle.</p>"),
    "Toy GAN": (
        "<h3>Toy GAN</h3><p>The GAN game on points you can see. G turns random noise into points; D "
        "gives every point a score of how real it looks. In 1-D, D is the red curve under G's blue "
        "density; in 2-D it is the background: green “real”, purple “fake”, white “can't tell”. The "
        "dark green dots are the data, the purple ones G's — the same noise every frame, so you "
        "watch each point move. <i>Arrows</i> show where D's slope pushes each of G's points.</p>"
        "<p><b>The knobs:</b> the <i>loss</i> (minimax, the original; non-saturating, its usual fix; "
        "least squares; Wasserstein with gradient penalty, where D becomes a critic with no fixed "
        "scale), a <i>learning rate</i> for each player, the networks' <i>width</i> (new networks), "
        "what a step <i>trains</i> (D then G, D only, G only) and <i>slow motion</i> (one step a "
        "frame). <i>Draw your own</i>: click or drag on the plane, then play on your points.</p>"
        "<p><b>Try:</b> the ring with the default loss: G's blob stretches into a loop, then pulls "
        "into the eight bumps. Step <i>D only</i> a few times (the background sharpens, G stands "
        "still), then <i>G only</i> (the points climb into the green). Minimax against "
        "non-saturating with a larger D learning rate: when D wins early, minimax G's points stop. "
        "Watch for <i>mode collapse</i> (all points in one or two bumps) and <i>oscillation</i> (the "
        "points circling the ring); a good game ends with D white wherever the data is.</p>"),
    "Real or fake?": (
        "<h3>Real or fake?</h3><p>The lecture asks “which one is machine-generated?” — here you answer. "
        "Each round shows 8 sprites: 4 real Pokémon the model never trained on and 4 it drew. Mark "
        "the ones you think are fake (click, or keys 1–8; the arrows move a blue cursor and Space "
        "marks), then reveal (Enter). Green: you were right; red: you were not. Under each fake sits "
        "the training sprite most like it: if a fake fooled you and its neighbour is nearly the same, "
        "the model copied rather than invented.</p>"
        "<p><b>The score:</b> your accuracy over every round against this model, beside the "
        "classifier's (the c2st of <i>studio score</i>): the same measure on the same kind of "
        "balanced sets, so 0.5 means nobody can tell and 1.0 means the fakes are obvious. "
        "<i>Compute the classifier's score</i> trains it on 256 samples (tens of seconds) and keeps "
        "the figure for that checkpoint. Your record is kept between launches.</p>"
        "<p><b>Try:</b> a young run of yours, then the same run trained longer; the GAN against "
        "PixelRNN. Which tells do you use — speckles, a broken outline, too many colours? Do you "
        "beat the classifier?</p>"),
    "Runs": (
        "<h3>Runs</h3><p>Every training run, with its model, data, settings, steps and best held-out "
        "score. Open or resume one in its workspace, rename it, delete it (Undo brings it back).</p>"
        "<p><b>Compare</b> as in TensorBoard: select any number of runs (Ctrl-click) and pick any "
        "metric one of them logged; each run gets its own colour. <i>Smoothing</i> draws a moving "
        "average through the noise (the raw values stay, faint) — it shows the trend but lags it: at "
        "0.9 the line turns about ten points after the values do, so read a run's end from the faint "
        "line. <i>Log scale</i>: equal ratios look equal, so two losses that keep halving run "
        "parallel and a plateau is flat at any height (values ≤ 0 cannot be shown and are left out). "
        "Plot against the step, or wall or CPU seconds to compare speed. <i>Export</i> the plot as "
        "a PNG, or its points as CSV for a spreadsheet. The training monitor's plots have the same "
        "smoothing, log scale and export.</p>"
        "<p><b>Try:</b> the held-out bits per pixel of three PixelRNN runs with different learning "
        "rates; a GAN's d_loss with smoothing 0, then 0.9.</p>"),
}
