// A blurhash decoder (the algorithm of github.com/woltapp/blurhash, written out here: 60 lines are
// not worth a vendored dependency). The API sends each media's hash; the client paints it, small and
// scaled up, under the image until the image has loaded.
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

const decode83 = (text) => [...text].reduce((value, c) => value * 83 + DIGITS.indexOf(c), 0);
const toLinear = (v) => { const c = v / 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
const toSrgb = (v) => {
  const c = Math.max(0, Math.min(1, v));
  return Math.round(c <= 0.0031308 ? c * 12.92 * 255 : (1.055 * c ** (1 / 2.4) - 0.055) * 255);
};
const signPow = (v, e) => Math.sign(v) * Math.abs(v) ** e;

export function isValid(hash) {
  if (!hash || hash.length < 6 || [...hash].some((c) => !DIGITS.includes(c))) return false;
  const size = decode83(hash[0]);
  return hash.length === 4 + 2 * (Math.floor(size / 9) + 1) * ((size % 9) + 1);
}

// The mean colour, as CSS: what shows first, before even the blur is painted.
export function averageColor(hash) {
  if (!isValid(hash)) return null;
  const v = decode83(hash.slice(2, 6));
  return `rgb(${v >> 16}, ${(v >> 8) & 255}, ${v & 255})`;
}

function components(hash) {
  const size = decode83(hash[0]);
  const nx = (size % 9) + 1, ny = Math.floor(size / 9) + 1;
  const maxAc = (decode83(hash[1]) + 1) / 166;
  const colors = [];
  for (let i = 0; i < nx * ny; i++) {
    if (i === 0) {
      const v = decode83(hash.slice(2, 6));
      colors.push([toLinear(v >> 16), toLinear((v >> 8) & 255), toLinear(v & 255)]);
    } else {
      const v = decode83(hash.slice(4 + i * 2, 6 + i * 2));
      const q = [Math.floor(v / 361), Math.floor(v / 19) % 19, v % 19];
      colors.push(q.map((c) => signPow((c - 9) / 9, 2) * maxAc));
    }
  }
  return { nx, ny, colors };
}

// Pixels of a `width`×`height` picture, RGBA.
export function decode(hash, width, height) {
  const { nx, ny, colors } = components(hash);
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const basis = Math.cos((Math.PI * x * i) / width) * Math.cos((Math.PI * y * j) / height);
          const c = colors[i + j * nx];
          r += c[0] * basis; g += c[1] * basis; b += c[2] * basis;
        }
      }
      const at = 4 * (x + y * width);
      pixels.set([toSrgb(r), toSrgb(g), toSrgb(b), 255], at);
    }
  }
  return pixels;
}

const painted = new Map();  // hash -> data URL: a feed repeats few hashes, and decoding costs a few ms

export function dataUrl(hash) {
  if (!isValid(hash)) return null;
  if (!painted.has(hash)) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 24;
    const context = canvas.getContext("2d");
    context.putImageData(new ImageData(decode(hash, 24, 24), 24, 24), 0, 0);
    painted.set(hash, canvas.toDataURL());
  }
  return painted.get(hash);
}
