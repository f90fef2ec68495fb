"""The bundled plugins; each bridges one outside system. The core never imports them."""
