/**
 * niivue's texture passes, made lean for the viewer. niivue builds the slices' colour texture (RGBA, one
 * texel per voxel) on the GPU: a shader pass per slice of the volume (its "orient" pass), then a blur
 * and a Sobel pass per slice for the 3D render's lighting. On a computer without a GPU, WebGL runs on
 * the CPU (chromium's SwiftShader, Mesa's llvmpipe: hospital virtual desktops, this project's CI), and
 * these passes are most of the time a scan takes to open. The viewer needs neither the 3D render nor
 * niivue's general colour pass, so this module gives niivue, with its own API and objects:
 * - `skipGradientPasses`: an empty program for the gradient passes, whose draws are then not made;
 * - `leanOrientPass`: for the viewer's case (the back volume, 8-bit, a plain colour map) a colour
 *   shader that computes what niivue's does in that case, without its branches for overlays, negative
 *   colour maps, thresholds and modulation (test/e2e/niivue-passes.test.ts compares the two textures
 *   byte for byte);
 * - `keepVolumeTexture`: a rebuild at the same grid (a new window or colour map) draws into the volume
 *   texture it has instead of allocating a new one (WebGL zero-fills every new texture: 64 MB for a
 *   200×200×400 scan), and `reserveVolumeTexture` allocates it ahead, from the scan's grid, while the
 *   volume's bytes are on their way;
 * - `warmUp`: the shaders' first use (where a software renderer compiles them) on a 2×2×2 volume, to
 *   be done while the scan is on its way;
 * - `attachWithoutVolumeRender`: niivue attached without its five volume-render programs, which only its
 *   3D render draws with.
 * Each but the last is installed once per Niivue, after `attachToCanvas` (which compiles niivue's
 * shaders). The module imports niivue's types only: it runs on the instance and module it is given.
 */
import type { Niivue, NVImage } from '@niivue/niivue';

/** What niivue keeps of a compiled program (its `Shader`): the program and its uniforms' locations. */
interface ShaderLike {
  program: WebGLProgram;
  uniforms: Record<string, WebGLUniformLocation | null>;
  use: (gl: WebGL2RenderingContext) => void;
}

/**
 * Compiles and links a program of two GLSL ES 3.00 sources, with its active uniforms' locations as niivue's
 * `Shader` has them.
 * @throws Error with the compiler's or linker's log when a stage does not compile or the program not link
 */
function compileProgram(gl: WebGL2RenderingContext, vertex: string, fragment: string): ShaderLike {
  const program = gl.createProgram();
  for (const [type, src] of [
    [gl.VERTEX_SHADER, vertex],
    [gl.FRAGMENT_SHADER, fragment],
  ] as const) {
    const sh = gl.createShader(type)!;
    gl.shaderSource(sh, src);
    gl.compileShader(sh);
    if (!gl.getShaderParameter(sh, gl.COMPILE_STATUS))
      throw new Error(`viewer: a shader did not compile: ${gl.getShaderInfoLog(sh)}`);
    gl.attachShader(program, sh);
  }
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS))
    throw new Error(`viewer: a program did not link: ${gl.getProgramInfoLog(program)}`);
  const uniforms: ShaderLike['uniforms'] = {};
  const n = gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS) as number;
  for (let i = 0; i < n; i++) {
    const name = gl.getActiveUniform(program, i)!.name;
    uniforms[name] = gl.getUniformLocation(program, name);
  }
  return { program, uniforms, use: (g) => g.useProgram(program) };
}

/**
 * niivue rebuilds a gradient texture of the back volume on every layer refresh (a blur and a Sobel pass
 * over every voxel, each reading 8 trilinear samples) to light its 3D render, which the viewer never
 * shows (`SHOW_RENDER.NEVER`). In place of its gradient shaders this gives niivue one program whose
 * vertices all fall on one point, and while it is bound the passes' per-slice calls are not made:
 * the layer binds and draws (a draw that rasterises nothing still starts a render pass on the GPU
 * process: about 30–70 ms per 400 slices on SwiftShader) and the framebuffer-status checks, which niivue
 * makes only to log (each a round trip that waits for the GPU process: 2 × the slice count of them).
 * The gradient textures themselves (niivue allocates them through its `rgbaTex`, on texture units 6 and 8,
 * at the volume's size, the scratch one filled with zeros: 64 MB uploaded, about 5 s on SwiftShader) are
 * made 1×1 texel per slice; nothing reads them.
 */
export function skipGradientPasses(nv: Niivue): void {
  const gl = nv.gl;
  const empty = compileProgram(
    gl,
    '#version 300 es\nvoid main() { gl_Position = vec4(0.0, 0.0, 0.0, 1.0); }',
    '#version 300 es\nprecision highp float;\nout vec4 c;\nvoid main() { c = vec4(0.0); }',
  );
  nv.blurShader = empty;
  nv.sobelFirstOrderShader = empty;
  nv.sobelSecondOrderShader = empty;
  nv.gradientPrePassShader = empty;
  let emptyBound = false;
  const useProgram = gl.useProgram.bind(gl);
  gl.useProgram = (p: WebGLProgram | null) => {
    emptyBound = p === empty.program;
    useProgram(p);
  };
  const checkFramebufferStatus = gl.checkFramebufferStatus.bind(gl);
  gl.checkFramebufferStatus = (target: GLenum) =>
    emptyBound ? gl.FRAMEBUFFER_COMPLETE : checkFramebufferStatus(target);
  const framebufferTextureLayer = gl.framebufferTextureLayer.bind(gl);
  gl.framebufferTextureLayer = (...args: Parameters<WebGL2RenderingContext['framebufferTextureLayer']>) => {
    if (!emptyBound) framebufferTextureLayer(...args);
  };
  const drawArrays = gl.drawArrays.bind(gl);
  gl.drawArrays = (mode: GLenum, first: GLint, count: GLsizei) => {
    if (!emptyBound) drawArrays(mode, first, count);
  };
  const rgbaTex = nv.rgbaTex.bind(nv);
  nv.rgbaTex = (tex, unit, dims, isInit) =>
    rgbaTex(
      tex,
      unit,
      GRADIENT_UNITS.has(unit) && dims[1]! * dims[2]! > 4 ? [dims[0]!, 1, 1, dims[3]!] : dims,
      isInit,
    );
}

/**
 * niivue's texture units of the gradient texture (6) and of its scratch texture (8; also PAQD images',
 * which the viewer has not: their 2×2×2 placeholder is left as it is).
 */
const GRADIENT_UNITS = new Set<number>([WebGL2RenderingContext.TEXTURE6, WebGL2RenderingContext.TEXTURE8]);

/** niivue's texture unit of the back volume's colour texture (its TEXTURE0_BACK_VOL). */
const BACK_VOLUME_UNIT = WebGL2RenderingContext.TEXTURE0;

/** NIfTI's datatype code of unsigned 8-bit voxels (DT_UINT8) and its intent code of label maps. */
const DT_UINT8 = 2;
const INTENT_LABEL = 1002;

/**
 * The colour pass of the back volume (niivue 0.69's orient shader, `fragOrientShader` with an unsigned
 * sampler) with what its uniforms make constant in the viewer's case (`leanCase`) taken out: layer 0
 * (no blend with a layer below), colour-map type 0 (no threshold alpha), no negative colour map, no
 * modulation volume. What is left is niivue's own arithmetic, in its order: the voxel's value scaled by
 * scl_slope and scl_inter, its place in [cal_min, cal_max] (at least 2/256 when above cal_min, niivue's
 * issue 1139), the colour map's row of layer 0, times the opacity; outside the volume, the blend texture.
 */
const LEAN_ORIENT_FRAGMENT = `#version 300 es
precision highp int;
precision highp float;
uniform highp usampler3D intensityVol;
uniform lowp sampler3D blend3D;
uniform highp sampler2D colormap;
uniform float coordZ;
uniform float scl_slope;
uniform float scl_inter;
uniform float cal_max;
uniform float cal_min;
uniform float opacity;
uniform mat4 mtx;
in vec2 TexCoord;
out vec4 FragColor;
void main(void) {
	vec4 vx = vec4(TexCoord.xy, coordZ, 1.0) * mtx;
	if ((vx.x < 0.0) || (vx.x > 1.0) || (vx.y < 0.0) || (vx.y > 1.0) || (vx.z < 0.0) || (vx.z > 1.0)) {
		FragColor = texture(blend3D, vec3(TexCoord.xy, coordZ));
		return;
	}
	float f = (scl_slope * float(texture(intensityVol, vx.xyz).r)) + scl_inter;
	float mn = cal_min;
	float mx = cal_max;
	float r = max(0.00001, abs(mx - mn));
	mn = min(mn, mx);
	float txl = mix(0.0, 1.0, (f - mn) / r);
	if (f > mn) {
		txl = max(txl, 2.0/256.0);
	}
	float nlayer = float(textureSize(colormap, 0).y);
	float y = 1.5 / nlayer;
	FragColor = texture(colormap, vec2(txl, y)).rgba;
	FragColor.a *= opacity;
}`;

/** niivue's vertex shader of the orient pass (a quad over the slice; `vertOrientShader`). */
const ORIENT_VERTEX = `#version 300 es
precision highp int;
precision highp float;
in vec3 vPos;
out vec2 TexCoord;
void main() {
	TexCoord = vPos.xy;
	gl_Position = vec4( (vPos.xy-vec2(0.5,0.5)) * 2.0, 0.0, 1.0);
}`;

/**
 * Whether a refresh of `image` as layer `layer` is the case `LEAN_ORIENT_FRAGMENT` computes exactly:
 * the back volume, 8-bit unsigned, not a label map, colour-map type 0, no negative colour map and no
 * modulation image.
 */
export function leanCase(image: NVImage, layer: number): boolean {
  const hdr = image.hdr;
  return (
    layer === 0 &&
    hdr?.datatypeCode === DT_UINT8 &&
    hdr.intent_code !== INTENT_LABEL &&
    (image.colormapType ?? 0) === 0 &&
    !image.colormapNegative &&
    (image.modulationImage ?? null) === null // an index of the modulating volume (0 is one)
  );
}

/**
 * Makes niivue colour the back volume with `LEAN_ORIENT_FRAGMENT` whenever a layer refresh is the lean
 * case (`leanCase`), and with its own shader otherwise. Returns a count of the refreshes made lean (for
 * the tests).
 */
export function leanOrientPass(nv: Niivue): { leanRefreshes: number } {
  const lean = compileProgram(
    nv.gl,
    ORIENT_VERTEX,
    LEAN_ORIENT_FRAGMENT,
  ) as unknown as Niivue['orientShaderU'];
  const own = nv.orientShaderU;
  const count = { leanRefreshes: 0 };
  const refreshLayers = nv.refreshLayers.bind(nv);
  nv.refreshLayers = (image: NVImage, layer: number) => {
    const isLean = leanCase(image, layer);
    if (isLean) count.leanRefreshes++;
    nv.orientShaderU = isLean ? lean : own;
    try {
      refreshLayers(image, layer);
    } finally {
      nv.orientShaderU = own;
    }
  };
  return count;
}

/** The size ("x×y×z") of each back-volume texture made through `keepVolumeTexture`'s `rgbaTex`. */
const textureSizes = new WeakMap<WebGLTexture, string>();

/** The texture `reserveVolumeTexture` made for each Niivue, not yet used, and its size. */
const reserved = new WeakMap<Niivue, { texture: WebGLTexture; size: string }>();

/** A texture size as `rgbaTex` takes it ([_, x, y, z]) as a key. */
const sizeKey = (dims: ArrayLike<number>): string => `${dims[1]}×${dims[2]}×${dims[3]}`;

/**
 * Makes niivue keep the back volume's colour texture when it rebuilds it at the same size (a new window
 * or colour map), and take the one `reserveVolumeTexture` made when that has the size asked for: its
 * `rgbaTex` would delete the texture and allocate a new one, which WebGL zero-fills (64 MB for a
 * 200×200×400 scan, about 0.2 s on SwiftShader); the colour pass writes every texel of it anyway.
 */
export function keepVolumeTexture(nv: Niivue): void {
  const gl = nv.gl;
  const rgbaTex = nv.rgbaTex.bind(nv);
  const bind = (texture: WebGLTexture) => {
    gl.activeTexture(BACK_VOLUME_UNIT);
    gl.bindTexture(gl.TEXTURE_3D, texture);
    return texture;
  };
  nv.rgbaTex = (tex, unit, dims, isInit) => {
    if (unit !== BACK_VOLUME_UNIT || isInit) return rgbaTex(tex, unit, dims, isInit);
    const size = sizeKey(dims);
    if (tex && textureSizes.get(tex) === size) return bind(tex);
    const spare = reserved.get(nv);
    if (spare) reserved.delete(nv);
    if (spare?.size === size) {
      if (tex) gl.deleteTexture(tex);
      textureSizes.set(spare.texture, size);
      return bind(spare.texture);
    }
    if (spare) gl.deleteTexture(spare.texture); // reserved for another size: freed
    const made = rgbaTex(tex, unit, dims, isInit);
    if (made) textureSizes.set(made, size);
    return made;
  };
  (nv as NiivueWithReserve)[RESERVE] = (dimsRas: readonly number[]) => {
    const old = reserved.get(nv);
    if (old) gl.deleteTexture(old.texture);
    // niivue's own allocation (its `rgbaTex` before the patch); then unit 0's binding and the active
    // unit as they were (niivue's state: the slices still show the texture it has)
    const active = gl.getParameter(gl.ACTIVE_TEXTURE) as GLenum;
    gl.activeTexture(BACK_VOLUME_UNIT);
    const before = gl.getParameter(gl.TEXTURE_BINDING_3D) as WebGLTexture | null;
    const texture = rgbaTex(null, BACK_VOLUME_UNIT, [4, ...dimsRas]);
    gl.bindTexture(gl.TEXTURE_3D, before);
    gl.activeTexture(active);
    if (texture) reserved.set(nv, { texture, size: sizeKey([4, ...dimsRas]) });
  };
}

const RESERVE = Symbol('reserveVolumeTexture');
type NiivueWithReserve = Niivue & { [RESERVE]?: (dimsRas: readonly number[]) => void };

/** A scan's grid as the scan routes give it (`ScanRecord`, `StudyScan.grid`). */
export interface GridHint {
  size: number[] | null;
  /** Direction cosines: the i, j, k axes' unit vectors in LPS (9 numbers), null when not stored. */
  direction?: number[] | null;
}

/**
 * The size of a scan's volume in niivue's RAS voxel order (its `dimsRAS[1..3]`), from the scan's grid:
 * each voxel axis goes to the patient axis its direction points along most (LPS and RAS share axes).
 * Null when the grid has no size or direction, or two voxel axes point along one patient axis.
 */
export function rasGridSize(grid: GridHint): [number, number, number] | null {
  const { size, direction } = grid;
  if (!size || size.length !== 3 || !direction || direction.length !== 9) return null;
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const axis = [0, 1, 2].map((r) => Math.abs(direction[3 * c + r]!));
    const along = axis.indexOf(Math.max(...axis));
    if (out[along]) return null;
    out[along] = size[c]!;
  }
  return out;
}

/**
 * Allocates the back volume's colour texture for the scan of grid `grid` (at its size in niivue's RAS
 * order, `rasGridSize`) ahead of its volume, e.g. while the volume's bytes are still coming: the next
 * back-volume build (`keepVolumeTexture`) draws into it when it is of that size (its zero-fill is then
 * done), and frees it when not. Does nothing on a Niivue without `keepVolumeTexture` or when the grid
 * gives no size (`rasGridSize` null).
 * @returns whether a texture was allocated
 */
export function reserveVolumeTexture(nv: Niivue, grid: GridHint): boolean {
  const reserve = (nv as NiivueWithReserve)[RESERVE];
  const sizeRas = rasGridSize(grid);
  if (!reserve || !sizeRas) return false;
  reserve(sizeRas);
  return true;
}

/**
 * A 2×2×2 NIfTI-1 file of 8-bit zeros (1 mm voxels, scanner frame), for `warmUp`.
 */
function tinyNifti(): ArrayBuffer {
  const buf = new ArrayBuffer(352 + 8);
  const v = new DataView(buf);
  v.setInt32(0, 348, true); // sizeof_hdr
  [3, 2, 2, 2, 1, 1, 1, 1].forEach((d, i) => v.setInt16(40 + 2 * i, d, true)); // dim
  v.setInt16(70, DT_UINT8, true); // datatype
  v.setInt16(72, 8, true); // bitpix
  [1, 1, 1, 1, 1, 1, 1, 1].forEach((d, i) => v.setFloat32(76 + 4 * i, d, true)); // pixdim
  v.setFloat32(108, 352, true); // vox_offset
  v.setFloat32(112, 1, true); // scl_slope
  v.setInt16(254, 1, true); // sform_code: scanner
  [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0].forEach((x, i) => v.setFloat32(280 + 4 * i, x, true)); // srow_x..z
  new Uint8Array(buf, 344, 4).set([0x6e, 0x2b, 0x31, 0]); // magic "n+1\0"
  return buf;
}

/**
 * Uses niivue's shaders once on a 2×2×2 volume of zeros (the colour pass, the gradient passes and a
 * frame, then cleared to niivue's background): a software renderer compiles a shader for the GPU state it
 * is drawn with when it is first drawn (0.1–0.3 s for the first slices on SwiftShader), and this can be
 * done while the scan is being fetched. The scan's volume replaces it (`nv.volumes`, `setVolume`).
 * @param NVImageClass niivue's NVImage (from its module)
 */
export async function warmUp(nv: Niivue, NVImageClass: typeof NVImage): Promise<void> {
  const tiny = await NVImageClass.loadFromUrl({ url: tinyNifti(), name: 'warm-up.nii', colormap: 'gray' });
  nv.volumes = [tiny];
  nv.setVolume(tiny, 0);
  nv.drawScene();
  const gl = nv.gl;
  const [r, g, b, a] = nv.opts.backColor ?? [0, 0, 0, 1];
  gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  gl.clearColor(r!, g!, b!, a!);
  gl.clear(gl.COLOR_BUFFER_BIT);
}

/**
 * Whether niivue antialiases its canvas: niivue's own default (`attachToCanvas` without the argument),
 * made explicit so that `attachWithoutVolumeRender` makes the context niivue would.
 */
const ANTI_ALIAS = navigator.hardwareConcurrency > 6;

/**
 * Whether a fragment shader's source is one of niivue's volume-render shaders (ray casting through the
 * volume for the 3D render and its depth picking; 6–20 kB of GLSL each): what they alone declare.
 */
const isVolumeRenderFragment = (src: string): boolean =>
  src.includes('uniform vec3 rayDir;') && src.includes('uniform vec3 texVox;');

/** The fragment shader the volume-render programs get instead (they are never drawn with). */
const NO_RENDER_FRAGMENT =
  '#version 300 es\nprecision highp float;\nout vec4 fragColor;\nvoid main() { fragColor = vec4(0.0); }';

/** The draws made with a volume-render program bound, per Niivue (`volumeRenderDraws`). */
const renderDraws = new WeakMap<Niivue, { count: number }>();

/**
 * Attaches niivue to `cv` (`attachToCanvas`) with an empty fragment shader in its five volume-render
 * programs (`renderVolumeShader`, `renderSliceShader`, `renderGradientShader`,
 * `renderGradientValuesShader` and `pickingImageShader`), which niivue draws with only in its 3D render
 * (`drawImage3D`), never shown in the viewer (`SHOW_RENDER.NEVER`). niivue compiles every program it
 * has when attached; the graphics stack (ANGLE) then also builds each linked program's pipelines on
 * its worker threads. On a software renderer in a browser that has not cached them yet (its first
 * WebGL page), those of the four ray-casting programs take 0.3–0.5 s each of the two cores of a small
 * machine, while the scan arrives and its slices are built (a chromium trace of such a page): left
 * out, a first page opens about 0.4 s sooner (`npm run bench web-viewer`). Their uniforms are then not
 * found (null locations, which WebGL ignores). A draw made with one of them bound is counted
 * (`volumeRenderDraws`: the viewer's tests require none).
 * @throws Error from niivue's attach (no WebGL2), or when the programs given the empty shader are not
 *   exactly those five (another niivue: the viewer would not know what it leaves out)
 */
export async function attachWithoutVolumeRender(nv: Niivue, cv: HTMLCanvasElement): Promise<void> {
  // the context niivue makes (a canvas has one: niivue's getContext then returns this one)
  const gl = cv.getContext('webgl2', { alpha: true, antialias: ANTI_ALIAS });
  if (!gl) return void (await nv.attachToCanvas(cv, ANTI_ALIAS)); // niivue says what is missing
  const emptied = new Set<WebGLShader>();
  const shaderSource = gl.shaderSource.bind(gl);
  gl.shaderSource = (shader: WebGLShader, src: string) => {
    if (!isVolumeRenderFragment(src)) return shaderSource(shader, src);
    emptied.add(shader);
    shaderSource(shader, NO_RENDER_FRAGMENT);
  };
  try {
    await nv.attachToCanvas(cv, ANTI_ALIAS);
  } finally {
    gl.shaderSource = shaderSource; // for the programs made later, niivue's own
  }
  const render = [
    nv.renderVolumeShader,
    nv.renderSliceShader,
    nv.renderGradientShader,
    nv.renderGradientValuesShader,
    nv.pickingImageShader,
  ];
  const programs = new Set(render.map((s) => s?.program));
  const allEmptied = render.every(
    (s) => s && gl.getAttachedShaders(s.program)?.some((sh) => emptied.has(sh)),
  );
  if (emptied.size !== render.length || programs.size !== render.length || !allEmptied)
    throw new Error(
      `viewer: ${emptied.size} shaders taken for niivue's volume-render programs, not its ${render.length} (another niivue version?)`,
    );
  // count the draws (drawArrays, drawElements: those niivue's 3D render makes) with one of them bound
  const draws = { count: 0 };
  renderDraws.set(nv, draws);
  let renderBound = programs.has((gl.getParameter(gl.CURRENT_PROGRAM) as WebGLProgram | null) ?? undefined);
  const useProgram = gl.useProgram.bind(gl);
  gl.useProgram = (p: WebGLProgram | null) => {
    renderBound = programs.has(p ?? undefined);
    useProgram(p);
  };
  for (const name of ['drawArrays', 'drawElements'] as const) {
    const draw = gl[name].bind(gl) as (...a: unknown[]) => void;
    (gl as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
      if (renderBound) draws.count++;
      draw(...a);
    };
  }
}

/**
 * The number of draws made with a volume-render program bound on a Niivue attached by
 * `attachWithoutVolumeRender` (they draw nothing), else 0.
 */
export function volumeRenderDraws(nv: Niivue): number {
  return renderDraws.get(nv)?.count ?? 0;
}
