'use strict';
// The PneuKnow page: uploads an image to /v1/explain?format=json (one request: probabilities, warnings and
// the Grad-CAM heat map of the same image), draws the probabilities as bars and the heat map over the
// image. Should the heat map fail (server error, timeout), the probabilities come from /v1/predict for the
// same upload and the heat map is shown as failed. Every result names its file, with a thumbnail and the
// time; a new upload or a failure removes the previous result at once. An image the input guard calls out
// of scope is shown as "Out of scope: reason" instead of a class. Opened with ?selftest=URL it analyses
// that image and records in #selftest whether the bars and the overlay were really drawn (read back from
// the DOM and the canvases); with &selftestkey=KEY it first types KEY into the API-key form (shown when
// the service asked for a key).

const $ = (id) => document.getElementById(id);
const KEY = 'pneuknow.apiKey';
/** The longest side, in CSS pixels, of the box the image and its heat map are drawn in. */
const BOX = 400;
/** Counts uploads; an answer that arrives after a newer upload started is dropped. */
let generation = 0;

/** The API key typed into the page (kept for this tab only), as a request header; none when no key was typed. */
function authHeaders() {
  const key = sessionStorage.getItem(KEY);
  return key ? { Authorization: 'Bearer ' + key } : {};
}

/** Fetches and parses a JSON answer; a 401 shows the key form. Errors carry the HTTP status (none for network errors). */
async function fetchJson(path, options) {
  const response = await fetch(path, { ...options, headers: authHeaders() });
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  if (response.status === 401) {
    $('keyform').hidden = false;
    throw Object.assign(new Error('enter the API key above (' + (body ? body.message : 'HTTP 401') + ')'), { status: 401 });
  }
  if (!response.ok || body === null) {
    throw Object.assign(new Error((body && body.message) || 'HTTP ' + response.status), { status: response.status });
  }
  return body;
}

function setStatus(text, isError) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

const figure = (x) => (x === null || x === undefined ? 'not recorded' : Number(x).toFixed(3));

/** The model card's validation figures of the kept epoch, or "not recorded" for bundles without them. */
function validationText(v) {
  if (!v) return 'Validation performance: not recorded in this model bundle.';
  return 'Validation performance (kept epoch ' + (v.epoch + 1) + ' of ' + v.epochsTrained
      + (v.selectedBy ? ', chosen by ' + v.selectedBy : '') + '): accuracy ' + figure(v.valAccuracy)
      + ', balanced accuracy ' + figure(v.valBalancedAccuracy) + ', macro-F1 ' + figure(v.valMacroF1)
      + ', loss ' + figure(v.valLoss) + '.';
}

async function loadModel() {
  const model = await fetchJson('/v1/model');
  $('keyform').hidden = true;
  $('model').textContent = 'Model ' + model.id + ' (' + model.architecture + ', ' + model.method + ', '
      + model.inputSize + ' px), classes: ' + model.labels.join(', ');
  $('validation').textContent = validationText(model.validation);
  $('notice').querySelector('strong').textContent = model.intendedUse;
  $('population').textContent = ' Trained on: ' + model.population + '. Images from other populations '
      + '(children, lateral views, other devices) may be predicted badly.';
  return model;
}

async function post(path, blob, name) {
  const form = new FormData();
  form.append('image', blob, name || 'image');
  return fetchJson(path, { method: 'POST', body: form });
}

function drawBars(probabilities) {
  const bars = $('bars');
  bars.replaceChildren();
  const entries = Object.entries(probabilities);
  const top = Math.max(...entries.map(([, p]) => p));
  for (const [label, p] of entries) {
    const row = document.createElement('div');
    row.className = 'row' + (p === top ? ' top' : '');
    row.dataset.label = label;
    row.dataset.p = String(p);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = label;
    const track = document.createElement('div');
    track.className = 'track';
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = (100 * p).toFixed(2) + '%';
    track.append(bar);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = (100 * p).toFixed(1) + '%';
    row.append(name, track, value);
    bars.append(row);
  }
}

/** The verdict: "Out of scope: reasons" when the guard says so (probabilities greyed), else the class in bold. */
function showVerdict(prediction) {
  const verdict = $('verdict');
  verdict.replaceChildren();
  const outOfScope = prediction.warnings.filter((w) => w.outOfScope);
  const soft = prediction.warnings.filter((w) => !w.outOfScope);
  if (outOfScope.length) {
    verdict.className = 'out';
    verdict.textContent = 'Out of scope: ' + outOfScope.map((w) => w.message.split(/[;:]/)[0]).join('; ') + '.';
    $('chart').classList.add('deemphasised');
  } else {
    verdict.className = '';
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = prediction.label;
    verdict.append('Most likely: ', label, ' (' + (100 * prediction.probabilities[prediction.label]).toFixed(1) + ' %)');
    $('chart').classList.remove('deemphasised');
  }
  $('notice-soft').textContent = soft.map((w) => 'Note: ' + w.message + '.').join(' ');
  $('notice-soft').hidden = soft.length === 0;
  const details = $('warnings');
  details.replaceChildren();
  for (const w of outOfScope) {
    const item = document.createElement('li');
    item.textContent = w.message;
    details.append(item);
  }
  details.hidden = outOfScope.length === 0;
}

/** Loads a data URL (or object URL) as an image element. */
async function loadImage(url) {
  const img = new Image();
  img.src = url;
  await img.decode();
  return img;
}

/** Sizes both canvases to fit the box, keeping the image's aspect ratio. */
function fit(width, height) {
  const scale = Math.min(BOX / width, BOX / height);
  for (const id of ['image', 'heat']) {
    $(id).style.width = (width * scale).toFixed(2) + 'px';
    $(id).style.height = (height * scale).toFixed(2) + 'px';
  }
}

async function drawImage(dataUrl) {
  const img = await loadImage(dataUrl);
  const canvas = $('image');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  canvas.getContext('2d').drawImage(img, 0, 0);
  fit(img.naturalWidth, img.naturalHeight);
}

/** The jet colour map, as [r, g, b] in 0-255, for v in [0, 1]. */
function jet(v) {
  const c = (x) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

/** The legend: the jet map from 0 (left, low) to 1 (right, high). */
function drawLegend() {
  const canvas = $('legendbar');
  const ctx = canvas.getContext('2d');
  const out = ctx.createImageData(canvas.width, canvas.height);
  for (let x = 0; x < canvas.width; x++) {
    const [r, g, b] = jet(x / (canvas.width - 1));
    for (let y = 0; y < canvas.height; y++) {
      const i = 4 * (y * canvas.width + x);
      out.data[i] = r; out.data[i + 1] = g; out.data[i + 2] = b; out.data[i + 3] = 255;
    }
  }
  ctx.putImageData(out, 0, 0);
}

/** Loads a data URL into a canvas of its own size and returns that canvas's pixels. */
async function pixelsOf(dataUrl) {
  const img = await loadImage(dataUrl);
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

/**
 * Colours the server's heat picture (grey, the same size as the preview, each cell already drawn at its
 * receptive field's centre) with the jet map into the canvas laid over the image.
 */
async function drawHeat(heatPreview) {
  const grey = await pixelsOf(heatPreview);
  const heat = $('heat');
  heat.width = grey.width;
  heat.height = grey.height;
  const ctx = heat.getContext('2d');
  const out = ctx.createImageData(grey.width, grey.height);
  for (let i = 0; i < grey.data.length; i += 4) {
    const [r, g, b] = jet(grey.data[i] / 255);
    out.data[i] = r; out.data[i + 1] = g; out.data[i + 2] = b; out.data[i + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
}

/** Removes every trace of the previous result (called when an upload starts and when it fails). */
function clearResult() {
  $('result').hidden = true;
  for (const id of ['bars', 'verdict', 'warnings', 'resultname', 'resultmeta', 'heatclass', 'heatfailed', 'notice-soft']) {
    $(id).replaceChildren();
  }
  $('thumb').removeAttribute('src');
  for (const id of ['image', 'heat']) {
    $(id).width = 0;
    $(id).height = 0;
  }
  delete $('bars').dataset.request;
  delete $('viewer').dataset.request;
}

/** Browsers can show PNG and JPEG files themselves; DICOM needs the server's preview. */
function browserImage(blob) {
  return blob.type === 'image/png' || blob.type === 'image/jpeg';
}

/**
 * Analyses one upload: one explain request for probabilities and heat map; should it fail for a reason
 * other than the image (5xx, timeout, network), the probabilities come from /v1/predict and the heat map is
 * shown as failed. Returns null when a newer upload superseded this one.
 */
async function analyse(blob, name) {
  const token = ++generation;
  const shown = name || 'the image';
  clearResult();
  setStatus('Analysing ' + shown + '…');
  let explained = null;
  let prediction;
  let heatError = null;
  try {
    explained = await post('/v1/explain?format=json', blob, name);
    prediction = explained;
  } catch (e) {
    if (token !== generation) return null;
    if (e.status !== undefined && e.status < 500) throw e; // the image itself (or the key): no result
    heatError = e;
    prediction = await post('/v1/predict', blob, name);
  }
  if (token !== generation) return null;
  $('result').hidden = false;
  $('resultname').textContent = shown;
  $('resultmeta').textContent = 'Analysed at ' + new Date().toLocaleTimeString() + ' · ' + prediction.image.width
      + '×' + prediction.image.height + ' px' + (prediction.image.format === 'dicom' ? ' · DICOM' : '')
      + ' · request ' + prediction.requestId;
  $('thumb').src = browserImage(blob) ? URL.createObjectURL(blob) : explained ? explained.preview : '';
  $('thumb').hidden = !$('thumb').getAttribute('src');
  $('thumb').alt = 'thumbnail of ' + shown;
  drawBars(prediction.probabilities);
  $('bars').dataset.request = prediction.requestId;
  showVerdict(prediction);
  if (explained) {
    await drawImage(explained.preview);
    await drawHeat(explained.heatPreview);
    if (token !== generation) return null;
    $('viewer').dataset.request = explained.requestId;
    $('heatclass').textContent = 'for ' + explained.heatClass;
    $('heatok').hidden = false;
    $('heatfailed').hidden = true;
  } else {
    $('heatok').hidden = true;
    $('heatfailed').hidden = false;
    $('heatfailed').textContent = 'Heat map failed for ' + shown + ': ' + heatError.message
        + '. The probabilities are from the same image.';
  }
  setStatus('Analysed ' + shown + '.');
  return { prediction, explained };
}

function analyseFile(file) {
  const shown = file.name || 'the image';
  analyse(file, file.name).catch((e) => {
    clearResult();
    setStatus('Could not analyse ' + shown + ': ' + e.message, true);
  });
}

function wire() {
  $('file').addEventListener('change', (e) => {
    if (e.target.files.length) analyseFile(e.target.files[0]);
    e.target.value = ''; // choosing the same file again analyses it again
  });
  $('file').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      $('file').click();
    }
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length) analyseFile(e.dataTransfer.files[0]);
  });
  $('keyform').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, $('apikey').value.trim());
    $('apikey').value = '';
    setStatus('');
    modelLoaded = loadModel().catch((err) => setStatus('Could not load the model card: ' + err.message, true));
  });
  $('opacity').addEventListener('input', (e) => { $('heat').style.opacity = String(e.target.value / 100); });
}

/** Checks what was drawn against the answers; throws with the first mismatch. */
function verifyDrawing(prediction, explained) {
  const rows = [...document.querySelectorAll('#bars .row')];
  const labels = Object.keys(prediction.probabilities);
  if (rows.length !== labels.length) throw new Error(rows.length + ' bars for ' + labels.length + ' classes');
  for (const row of rows) {
    const track = row.querySelector('.track').getBoundingClientRect().width;
    const bar = row.querySelector('.bar').getBoundingClientRect().width;
    const p = prediction.probabilities[row.dataset.label];
    if (!(track > 0) || Math.abs(bar - p * track) > 2) {
      throw new Error('bar of ' + row.dataset.label + ' is ' + bar + ' px of ' + track + ', expected p=' + p);
    }
  }
  const image = $('image');
  const pixels = image.getContext('2d').getImageData(0, 0, image.width, image.height).data;
  let lit = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] !== 255) throw new Error('image canvas not fully drawn');
    if (pixels[i] > 0) lit++;
  }
  if (image.width === 0 || image.height === 0) throw new Error('image canvas is empty');
  if (lit === 0) throw new Error('image canvas is black');
  const heat = $('heat');
  if (heat.width !== image.width || heat.height !== image.height) throw new Error('heat canvas does not match the image');
  const a = image.getBoundingClientRect();
  const b = heat.getBoundingClientRect();
  if (Math.abs(a.left - b.left) > 1 || Math.abs(a.top - b.top) > 1 || Math.abs(a.width - b.width) > 1
      || Math.abs(a.height - b.height) > 1) throw new Error('heat map is not laid over the image');
  // the hottest cell's centre (heatMapCentres, in the uploaded image's pixels, scaled to the preview) must be
  // drawn in the hottest colour: the cells sit at their receptive fields' centres, not spread evenly
  const map = explained.heatMap;
  let best = [0, 0];
  map.forEach((row, y) => row.forEach((v, x) => { if (v > map[best[0]][best[1]]) best = [y, x]; }));
  const { width: uploadedWidth, height: uploadedHeight } = explained.image;
  const clamp = (v, n) => Math.min(n - 1, Math.max(0, Math.round(v)));
  const px = clamp((explained.heatMapCentres.x[best[1]] + 0.5) * heat.width / uploadedWidth - 0.5, heat.width);
  const py = clamp((explained.heatMapCentres.y[best[0]] + 0.5) * heat.height / uploadedHeight - 0.5, heat.height);
  const drawn = heat.getContext('2d').getImageData(px, py, 1, 1).data;
  const expected = jet(map[best[0]][best[1]]);
  for (let c = 0; c < 3; c++) {
    if (Math.abs(drawn[c] - expected[c]) > 60 || drawn[3] !== 255) {
      throw new Error('heat map pixel at the hottest cell (' + px + ', ' + py + ') is ' + [...drawn] + ', expected ' + expected);
    }
  }
  const slider = $('opacity');
  slider.value = '70';
  slider.dispatchEvent(new Event('input'));
  if (Math.abs(parseFloat(getComputedStyle(heat).opacity) - 0.7) > 0.01) throw new Error('opacity slider has no effect');
  return rows.length;
}

async function selfTest(url, key) {
  const report = $('selftest');
  report.dataset.failed = '';
  try {
    if (key) { // typed into the key form, as a user would after the page's first call got 401
      report.dataset.keyform = $('keyform').hidden ? 'hidden' : 'shown';
      $('apikey').value = key;
      $('keyform').requestSubmit();
      await modelLoaded;
      if (!$('keyform').hidden) throw new Error('the key form is still shown after entering the key');
    }
    const image = await fetch(url);
    if (!image.ok) throw new Error('cannot fetch the test image: HTTP ' + image.status);
    const { prediction, explained } = await analyse(await image.blob(), 'selftest');
    report.dataset.bars = String(verifyDrawing(prediction, explained));
    report.dataset.label = prediction.label;
    report.dataset.overlay = 'drawn';
  } catch (e) {
    report.dataset.failed = String(e && e.message ? e.message : e);
  }
  report.dataset.done = 'true';
}

let modelLoaded = null;
wire();
drawLegend();
const query = new URLSearchParams(location.search);
modelLoaded = loadModel().catch((e) => setStatus('Could not load the model card: ' + e.message, true));
modelLoaded.then(() => { if (query.get('selftest')) return selfTest(query.get('selftest'), query.get('selftestkey')); });
