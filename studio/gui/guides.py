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
        "the best of each for the same mask, with its score and time.</p>"),
    "VAE": (
        "<h3>VAE</h3><p>An encoder maps a sprite to a 10-number code; a decoder maps codes back to "
        "sprites. The KL term keeps codes near N(0, I), so every point of the code space decodes to "
        "a sprite.</p><p><b>Plots (Train tab):</b> reconstruction and KL (nats per sprite), and the "
        "bound −ELBO on −log p(x) in bits per pixel, comparable with PixelRNN's score.</p>"
        "<p><b>Try:</b> move the sliders along the two most informative dimensions (largest KL); fix "
        "the other dimensions to a dataset sprite's code; click a cell of the grid; save a walk GIF "
        "between two sprites.</p>"),
    "Diffusion": (
        "<h3>Diffusion</h3><p>Masked discrete diffusion: noise hides pixels behind a [MASK] token, and a "
        "transformer learns to guess hidden pixels from the visible ones. A sprite is drawn from an "
        "all-hidden frame in K steps; each step guesses every hidden pixel and commits some of them, the "
        "surest first (cosine schedule, MaskGIT) or at random (D3PM).</p>"
        "<p><b>Watch it draw:</b> the timeline shows the sprites after each step; the <i>order</i> map "
        "shows when each pixel was committed, the <i>confidence</i> map how sure the model was of its "
        "colour then. <b>Plots (Train tab):</b> the bound on bits per pixel (an upper bound: compare it "
        "with PixelRNN's exact score in one direction only).</p>"
        "<p><b>Try:</b> K = 1 (every pixel at once: speckled), 16, then 400 (one at a time); the random "
        "schedule against cosine; train and watch the same seeds sharpen. On the PixelRNN canvas, "
        "<i>Race</i> fills one mask in raster order and in confidence order side by side.</p>"),
    "GAN code space": (
        "<h3>GAN code space</h3><p>Every code z gives a sprite. The slider moves between two codes A "
        "and B, on the great circle (slerp) or the straight line; Play walks a loop through many.</p>"
        "<p><b>Is it new?</b> puts generated sprites beside their nearest training sprites: distance 0 "
        "means the generator copied one.</p><p><b>Try:</b> re-roll A and B until both look good, then "
        "slide between them; compare slerp with the straight line in the middle.</p>"),
    "Toy GAN": (
        "<h3>Toy GAN</h3><p>The GAN game on single numbers (1-D), small enough to watch every step. "
        "The generator G turns random noise into numbers; the discriminator D gives each number x a "
        "score D(x), how likely it thinks x is real.</p>"
        "<p><b>Top plot:</b> the real data as grey bars (a histogram) and the generator's density as a "
        "blue curve: where G puts its numbers. <b>Bottom plot:</b> the red curve D(x); the dashed line "
        "is ½, where D cannot tell real from fake. The line above the plots counts the steps and gives "
        "G's distance to the data (earth mover's distance: 0 when G's numbers match the data).</p>"
        "<p><b>Watch:</b> D rises where the grey bars outweigh the blue curve, and G moves its mass up "
        "D's slope onto the data, until D says ½ everywhere.</p>"
        "<p><b>Try:</b> press Play (Pause stops), or Step for one update; <i>Steps per update</i> trains "
        "more between two redraws. Pick the data: <i>two gaussians</i>, <i>three gaussians</i>, "
        "<i>uniform bump</i> or <i>skewed</i>; on the clustered ones watch whether the blue curve covers "
        "every peak or settles on one (mode collapse). Reset draws new random networks on the same data.</p>"),
    "Runs": (
        "<h3>Runs</h3><p>Every training run, with its model, data, settings, steps and best held-out "
        "score. Open or resume one in its workspace, rename it, delete it (Undo brings it back), or "
        "select two and compare a metric's curves.</p>"),
}
