'use strict';
// The PneuKnow page: uploads an image to /v1/predict and /v1/explain, draws the probabilities as bars and
// the Grad-CAM heat map over the image. Opened with ?selftest=URL it analyses that image and records in
// #selftest whether the bars and the overlay were really drawn (read back from the DOM and the canvases);
// with &selftestkey=KEY it first types KEY into the API-key form (shown when the service asked for a key).

const $ = (id) => document.getElementById(id);
const KEY = 'pneuknow.apiKey';

/** The API key typed into the page (kept for this tab only), as a request header; none when no key was typed. */
function authHeaders() {
  const key = sessionStorage.getItem(KEY);
  return key ? { Authorization: 'Bearer ' + key } : {};
}

/** Fetches and parses a JSON answer; a 401 shows the key form. */
async function fetchJson(path, options) {
  const response = await fetch(path, { ...options, headers: authHeaders() });
  const body = await response.json();
  if (response.status === 401) {
    $('keyform').hidden = false;
    throw new Error('enter the API key above (' + body.message + ')');
  }
  if (!response.ok) throw new Error(body.message || 'HTTP ' + response.status);
  return body;
}

function setStatus(text, isError) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

async function loadModel() {
  const model = await fetchJson('/v1/model');
  $('keyform').hidden = true;
  $('model').textContent = 'Model ' + model.id + ' (' + model.architecture + ', ' + model.method + '), classes: '
      + model.labels.join(', ');
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

function showWarnings(warnings) {
  const list = $('warnings');
  list.replaceChildren();
  for (const w of warnings) {
    const item = document.createElement('li');
    item.textContent = 'Caution: ' + w.message;
    list.append(item);
  }
}

async function drawImage(dataUrl) {
  const img = new Image();
  img.src = dataUrl;
  await img.decode();
  const canvas = $('image');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  canvas.getContext('2d').drawImage(img, 0, 0);
}

/** The jet colour map, as [r, g, b] in 0-255, for v in [0, 1]. */
function jet(v) {
  const c = (x) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

/** Loads a data URL into a canvas of its own size and returns that canvas's pixels. */
async function pixelsOf(dataUrl) {
  const img = new Image();
  img.src = dataUrl;
  await img.decode();
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

async function analyse(blob, name) {
  setStatus('Analysing ' + (name || 'the image') + '…');
  $('results').hidden = true;
  $('warnings').replaceChildren();
  const prediction = await post('/v1/predict', blob, name);
  $('results').hidden = false;
  drawBars(prediction.probabilities);
  showWarnings(prediction.warnings);
  setStatus('Predicted: ' + prediction.label + ' (request ' + prediction.requestId + '). Computing the heat map…');
  const explained = await post('/v1/explain?format=json', blob, name);
  await drawImage(explained.preview);
  await drawHeat(explained.heatPreview);
  $('heatclass').textContent = 'for ' + explained.heatClass;
  setStatus('Predicted: ' + prediction.label + ' (request ' + prediction.requestId + ').');
  return { prediction, explained };
}

function analyseFile(file) {
  analyse(file, file.name).catch((e) => setStatus('Could not analyse the image: ' + e.message, true));
}

function wire() {
  $('file').addEventListener('change', (e) => { if (e.target.files.length) analyseFile(e.target.files[0]); });
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
const query = new URLSearchParams(location.search);
modelLoaded = loadModel().catch((e) => setStatus('Could not load the model card: ' + e.message, true));
modelLoaded.then(() => { if (query.get('selftest')) return selfTest(query.get('selftest'), query.get('selftestkey')); });
