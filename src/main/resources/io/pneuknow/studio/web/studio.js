// The studio page: the image list, the viewer (OpenSeadragon) and the drawing (Annotorious) over the JSON API of
// io.pneuknow.studio.StudioServer. The server is the source of truth: a shape is shown as saved only once the
// server answered that its transaction committed; every change names the version it starts from, and a 409 opens
// the conflict dialog (keep theirs, or overwrite with mine). Pixels come rendered by the server (window and level
// included), so region coordinates are scaled from the shown image to the original by `scale`.
'use strict';

const PAGE = 50;
const MAX_RENDER = 2048;
const $ = id => document.getElementById(id);

const state = {
  me: null, csrf: null,
  offset: 0, total: 0, rows: [], imageId: null,
  image: null,          // the open image's answer: id, className, part, width, height, regions, noFindingMark
  scale: 1,             // original pixels per shown pixel
  regions: new Map(),   // region id -> region as the server last answered it
  selectedId: null,
  tool: 'select',
  undo: [],             // {kind: create|edit|delete, region (after) | before}
  pending: 0,
  model: null,          // the served model (facets.model), or null
};

let viewer = null;
let anno = null;

// ---- the API ----------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || ('HTTP ' + status));
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin'});
  let answer = null;
  try { answer = await response.json(); } catch (e) { answer = null; }
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer.value;
}

// A change to the database: counted while in flight, so the page says "saving" until every one is acknowledged.
async function change(method, path, body) {
  state.pending++;
  showSaving();
  try {
    const value = await api(method, path, body);
    state.pending--;
    showSaved();
    queueChanged();
    return value;
  } catch (e) {
    state.pending--;
    if (e.status === 409) {
      showSaved();
    } else {
      showError(e instanceof ApiError ? e.message : 'the server did not answer (' + e.message + '); draw it again once it is back');
    }
    throw e;
  }
}

function showSaving() {
  document.body.dataset.saved = 'pending';
  $('save-status').textContent = 'Saving…';
}

function showSaved() {
  if (state.pending > 0) return;
  document.body.dataset.saved = 'saved';
  $('save-status').textContent = 'All changes saved';
}

function showError(message) {
  document.body.dataset.saved = 'error';
  $('save-status').textContent = 'Not saved: ' + message;
}

// ---- signing in -------------------------------------------------------------------------------------------------

async function start() {
  try {
    const me = await api('GET', '/api/me');
    signedIn(me);
  } catch (e) {
    $('login').hidden = false;
    $('login-name').focus();
  }
}

async function signedIn(me) {
  state.me = me;
  state.csrf = me.csrfToken;
  $('who').textContent = me.name + ' (' + me.role + ')';
  $('login').hidden = true;
  $('workspace').hidden = false;
  $('logout').hidden = false;
  $('export').hidden = false;
  $('open-models').hidden = false;
  const canDraw = me.role === 'annotator' || me.role === 'admin';
  for (const id of ['tool-rect', 'tool-polygon', 'tool-freehand', 'no-finding', 'edit-save', 'edit-delete', 'undo']) $(id).disabled = !canDraw;
  document.body.dataset.role = me.role;
  createViewer();
  const facets = await api('GET', '/api/facets');
  fillSelect($('filter-class'), facets.classes);
  fillSelect($('filter-part'), facets.parts);
  if (facets.model) showModel(facets.model);
  await loadPage(0, true);
}

// the served model (pneuknow studio --model): its classes in the prediction filter, before "right" and "wrong",
// and its progress, asked again every 2 s while it predicts; the list is reloaded once when it has finished
function showModel(model) {
  state.model = model;
  $('heat-controls').hidden = false;
  const select = $('filter-prediction');
  for (const label of model.classes) {
    const option = document.createElement('option');
    option.value = 'class:' + label;
    option.textContent = 'predicted ' + label;
    select.insertBefore(option, select.querySelector('option[value="right"]'));
  }
  $('prediction-filter').hidden = false;
  $('prediction-progress').hidden = false;
  showProgress(model);
}

function showProgress(model) {
  $('prediction-progress').textContent = 'model ' + model.id + ': predicted ' + model.predicted + ' of ' + model.total
    + (model.skipped > 0 ? ' (' + model.skipped + ' skipped)' : '') + (model.running ? '…' : '');
  $('filter-prediction').querySelector('option[value="disagree"]').textContent = 'model disagrees (' + model.disagreements + ')';
  if (model.running) setTimeout(pollProgress, 2000);
}

async function pollProgress() {
  try {
    const model = (await api('GET', '/api/facets')).model;
    showProgress(model);
    if (!model.running) await loadPage(state.offset, false);
  } catch (e) {
    setTimeout(pollProgress, 10000);
  }
}

function fillSelect(select, values) {
  for (const value of values) {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = value;
    select.appendChild(option);
  }
}

$('login').addEventListener('submit', async event => {
  event.preventDefault();
  $('login-error').textContent = '';
  try {
    const me = await api('POST', '/api/login', {name: $('login-name').value, key: $('login-key').value});
    $('login-key').value = '';
    await signedIn(me);
  } catch (e) {
    $('login-error').textContent = e.message;
  }
});

$('logout').addEventListener('click', async () => {
  try { await api('POST', '/api/logout', {}); } finally { location.reload(); }
});

// ---- the image list ---------------------------------------------------------------------------------------------

function listQuery(offset) {
  const query = new URLSearchParams({offset: String(offset), limit: String(PAGE)});
  if ($('filter-class').value) query.set('class', $('filter-class').value);
  if ($('filter-part').value) query.set('part', $('filter-part').value);
  const regions = $('filter-annotated').value;
  if (regions === 'annotated') query.set('annotated', 'true');
  if (regions === 'unannotated') query.set('annotated', 'false');
  if (regions === 'no-finding') query.set('noFinding', 'true');
  const prediction = $('filter-prediction').value;
  if (prediction.startsWith('class:')) query.set('predicted', prediction.substring('class:'.length));
  if (prediction === 'right') query.set('correct', 'true');
  if (prediction === 'wrong') query.set('correct', 'false');
  if (prediction === 'disagree') query.set('disagree', 'true');
  return query;
}

async function loadPage(offset, openFirst) {
  const page = await api('GET', '/api/images?' + listQuery(offset));
  state.offset = page.offset;
  state.total = page.total;
  state.rows = page.images;
  const list = $('image-list');
  list.replaceChildren(...page.images.map(listItem));
  const last = Math.min(page.offset + page.images.length, page.total);
  $('page-info').textContent = page.total === 0 ? 'no images' : (page.offset + 1) + '–' + last + ' of ' + page.total;
  $('prev-page').disabled = page.offset === 0;
  $('next-page').disabled = last >= page.total;
  if (openFirst && page.images.length > 0) await openImage(page.images[0].id);
  markCurrent();
}

function listItem(row) {
  const { item, facts } = imageRow(row);
  if (row.regions > 0) facts.appendChild(badge('regions', row.regions + (row.regions === 1 ? ' region' : ' regions')));
  if (row.noFinding) facts.appendChild(badge('no-finding', 'no finding'));
  if (row.prediction) facts.appendChild(predictionBadge(row.prediction, row.className));
  for (const text of disagreements(row.prediction)) facts.appendChild(badge('disagree', text));
  return item;
}

// a row of an image list (the images tab's and the queue's): thumbnail, id, then "class · part" and the facts' badges
// the caller adds; a click opens the image
function imageRow(row) {
  const item = document.createElement('li');
  item.dataset.id = row.id;
  const thumbnail = document.createElement('img');
  thumbnail.loading = 'lazy';
  thumbnail.alt = '';
  thumbnail.src = '/api/images/' + encodeURIComponent(row.id) + '/thumbnail.png';
  const meta = document.createElement('span');
  meta.className = 'meta';
  const id = document.createElement('span');
  id.className = 'id';
  id.textContent = row.id;
  const facts = document.createElement('span');
  facts.className = 'facts';
  facts.textContent = (row.className || 'no class') + ' · ' + (row.part || '—') + ' ';
  meta.append(id, facts);
  item.append(thumbnail, meta);
  item.addEventListener('click', () => openImage(row.id));
  return { item, facts };
}

// "model: LABEL 0.93", right (the image's class) or wrong; neither when the image has no class
function predictionBadge(prediction, className) {
  const verdict = !className ? '' : prediction.label === className ? ' right' : ' wrong';
  const span = badge('prediction' + verdict, 'model: ' + prediction.label + ' ' + prediction.probability.toFixed(2));
  span.title = verdict ? 'the served model\'s prediction is' + verdict : 'the served model\'s prediction';
  return span;
}

// why the reviewer should look: "model disagrees: predicts X" (not the image's class) and "heat mostly outside the
// regions (23 % inside, 30 % by chance)" (the share of the predicted class's heat inside the lesion regions is below
// the share of the image they cover, which is what evenly spread heat would put inside them)
function disagreements(prediction) {
  const texts = [];
  if (!prediction || !prediction.disagrees) return texts;
  if (prediction.reasons.includes('class')) texts.push('model disagrees: predicts ' + prediction.label);
  if (prediction.reasons.includes('heat')) {
    texts.push('heat mostly outside the regions (' + percent(prediction.heatInside) + ' inside, '
      + percent(prediction.regionArea) + ' by chance)');
  }
  return texts;
}

// whole percent, or one decimal below 10 % (small regions: "2 % inside, 2 % by chance" would hide the difference)
function percent(share) {
  return (share < 0.1 ? (share * 100).toFixed(1) : String(Math.round(share * 100))) + ' %';
}

function badge(kind, text) {
  const span = document.createElement('span');
  span.className = 'badge ' + kind;
  span.textContent = text;
  return span;
}

function markCurrent() {
  for (const list of [$('image-list'), $('queue-list')]) {
    for (const item of list.children) {
      item.classList.toggle('current', item.dataset.id === state.imageId);
      if (item.dataset.id === state.imageId) item.scrollIntoView({block: 'nearest'});
    }
  }
  const index = queue.rows.findIndex(row => row.id === state.imageId);
  if (index >= 0) queue.currentIndex = index;
}

async function step(delta) {
  if (queueShown()) return stepQueue(delta);
  const index = state.rows.findIndex(row => row.id === state.imageId);
  const next = index + delta;
  if (next >= 0 && next < state.rows.length) {
    await openImage(state.rows[next].id);
  } else if (next >= state.rows.length && state.offset + PAGE < state.total) {
    await loadPage(state.offset + PAGE, true);
  } else if (next < 0 && state.offset > 0) {
    await loadPage(Math.max(0, state.offset - PAGE), false);
    if (state.rows.length > 0) await openImage(state.rows[state.rows.length - 1].id);
  }
}

for (const id of ['filter-class', 'filter-part', 'filter-annotated', 'filter-prediction']) {
  $(id).addEventListener('change', () => loadPage(0, true));
}
$('prev-page').addEventListener('click', () => loadPage(Math.max(0, state.offset - PAGE), true));
$('next-page').addEventListener('click', () => loadPage(state.offset + PAGE, true));

// ---- what to annotate next ------------------------------------------------------------------------------------
// The list panel's second tab: the unannotated images outside the test part in the order a strategy ranks them
// (GET /api/queue). The strategies, what each needs, the default and why come from the server. An image leaves the
// queue once it has a region or a "no finding" mark: the queue is asked again after every saved change. A strategy
// that needs a model this studio lacks is answered 409 and its message is shown; while the model scores the
// candidates the server answers 503 and the page asks again.

const QUEUE_PAGE = 20;
const STRATEGY_TEXT = {
  random: 'Random order',
  stratified: 'Class-stratified random',
  uncertainty: "Uncertainty (the model's entropy)",
  disagreement: 'Teacher–student disagreement',
  coverage: 'Class coverage (least annotated first)',
  combination: 'Combination (coverage, then uncertainty + disagreement)',
};
const queue = {strategy: null, offset: 0, total: 0, rows: [], currentIndex: -1, timer: null, refresh: null, loaded: false};

function queueShown() {
  return !$('queue-panel').hidden;
}

function showTab(which) {
  const showQueue = which === 'queue';
  $('images-view').hidden = showQueue;
  $('queue-panel').hidden = !showQueue;
  $('tab-images').setAttribute('aria-selected', String(!showQueue));
  $('tab-queue').setAttribute('aria-selected', String(showQueue));
  if (showQueue) loadQueue(queue.loaded ? queue.offset : 0).catch(e => queueMessage(e.message, true));
}

function queueMessage(text, error) {
  $('queue-status').textContent = text;
  $('queue-status').classList.toggle('error', !!error);
}

function fillStrategies(answer) {
  const select = $('queue-strategy');
  if (select.options.length === 0) {
    for (const strategy of answer.strategies) {
      const option = document.createElement('option');
      option.value = strategy.name;
      select.appendChild(option);
    }
  }
  for (const strategy of answer.strategies) {
    const option = select.querySelector('option[value="' + strategy.name + '"]');
    option.textContent = (STRATEGY_TEXT[strategy.name] || strategy.name)
      + (strategy.name === answer.defaultStrategy ? ' (default)' : '')
      + (strategy.available ? '' : ' — needs ' + strategy.needs);
    option.title = strategy.needs ? 'needs ' + strategy.needs : 'needs no model';
  }
  // why the default is the default, next to the selector; "Default:" in front when another strategy is chosen
  $('queue-why').textContent = (answer.strategy === answer.defaultStrategy ? '' : 'Default: ') + answer.defaultReason;
}

async function loadQueue(offset) {
  clearTimeout(queue.timer);
  const query = new URLSearchParams({offset: String(offset), limit: String(QUEUE_PAGE)});
  if (queue.strategy) query.set('strategy', queue.strategy);
  const asked = queue.strategy;
  let answer;
  try {
    answer = await api('GET', '/api/queue?' + query);
  } catch (e) {
    if (asked !== queue.strategy) return; // another strategy was chosen meanwhile
    queue.rows = [];
    $('queue-list').replaceChildren();
    $('queue-info').textContent = '';
    $('queue-title').textContent = 'Next to annotate: ' + (STRATEGY_TEXT[asked] || asked);
    if (e.status === 503) {
      queueMessage(e.message + ' …', false);
      queue.timer = setTimeout(() => loadQueue(offset).catch(() => {}), 2000);
    } else {
      queueMessage(e.message, true);
    }
    document.body.dataset.queue = 'error:' + asked;
    return;
  }
  if (asked !== queue.strategy) return;
  queue.loaded = true;
  queue.strategy = answer.strategy;
  fillStrategies(answer);
  $('queue-strategy').value = answer.strategy;
  $('queue-title').textContent = 'Next to annotate: ' + (STRATEGY_TEXT[answer.strategy] || answer.strategy);
  queue.offset = answer.offset;
  queue.total = answer.total;
  queue.rows = answer.images;
  $('queue-list').replaceChildren(...answer.images.map(queueItem));
  const last = Math.min(answer.offset + answer.images.length, answer.total);
  $('queue-info').textContent = answer.total === 0 ? 'nothing to annotate' : (answer.offset + 1) + '–' + last + ' of ' + answer.total;
  $('queue-prev').disabled = answer.offset === 0;
  $('queue-next').disabled = last >= answer.total;
  const model = answer.model ? ' Model: ' + answer.model.id + ' (' + answer.model.source + ').' : '';
  const unscored = answer.unscored > 0 ? ' ' + answer.unscored + ' could not be scored (file missing or unreadable).' : '';
  queueMessage(answer.candidates + (answer.candidates === 1 ? ' image has' : ' images have') + ' no regions and no "no finding" mark'
    + (answer.testImages > 0 ? '; the ' + answer.testImages + ' test-part images are never offered.' : '.') + model + unscored, false);
  markCurrent();
  document.body.dataset.queue = answer.strategy + ':' + answer.total;
}

function queueItem(row) {
  const { item, facts } = imageRow(row);
  item.dataset.className = row.className || '';
  const rank = document.createElement('span');
  rank.className = 'rank';
  rank.textContent = row.rank;
  item.prepend(rank);
  if (row.reason) facts.appendChild(badge('reason', row.reason));
  return item;
}

// after a saved change the queue is asked again (once for a burst of changes): an annotated image leaves it
function queueChanged() {
  if (!queue.loaded || !queueShown()) return;
  clearTimeout(queue.refresh);
  queue.refresh = setTimeout(() => loadQueue(queue.offset).catch(() => {}), 200);
}

// J/K in the queue: the next image after the current one; when the current one has just left the queue, the one now
// at its place
async function stepQueue(delta) {
  const rows = queue.rows;
  let index = rows.findIndex(row => row.id === state.imageId);
  if (index < 0) index = delta > 0 ? queue.currentIndex - 1 : queue.currentIndex;
  const next = index + delta;
  if (next >= 0 && next < rows.length) await openImage(rows[next].id);
}

$('tab-images').addEventListener('click', () => showTab('images'));
$('tab-queue').addEventListener('click', () => showTab('queue'));
$('queue-strategy').addEventListener('change', () => {
  queue.strategy = $('queue-strategy').value;
  loadQueue(0).catch(e => queueMessage(e.message, true));
});
$('queue-prev').addEventListener('click', () => loadQueue(Math.max(0, queue.offset - QUEUE_PAGE)).catch(() => {}));
$('queue-next').addEventListener('click', () => loadQueue(queue.offset + QUEUE_PAGE).catch(() => {}));

// ---- the viewer -------------------------------------------------------------------------------------------------

function createViewer() {
  viewer = OpenSeadragon({
    element: $('viewer'),
    showNavigationControl: false,
    gestureSettingsMouse: {clickToZoom: false, dblClickToZoom: false},
    maxZoomPixelRatio: 8,
    visibilityRatio: 0.5,
    crossOriginPolicy: false,
  });
  anno = OpenSeadragon.Annotorious(viewer, {
    disableEditor: true,
    drawOnSingleClick: true, // a polygon starts with a click (or, over another region, a press dragged to the second corner)
    // with a drawing tool on, every drag draws (the next shape too, however fast it follows); Shift held pans
    hotkey: {key: 'Shift', inverted: true},
    allowEmpty: true,
    formatter: annotation => {
      const region = state.regions.get(regionIdOf(annotation.id));
      if (!region) return '';
      return region.type + (region.review === 'rejected' ? ' rejected' : '');
    },
  });
  // handled once Annotorious has finished its own work on the new shape (cancelling it inside the event breaks its
  // state), but before the next input event (a timer could come after the next press, which would then pan)
  anno.on('createSelection', selection => queueMicrotask(() => created(selection).catch(() => {})));
  anno.on('updateAnnotation', (annotation, previous) => moved(annotation).catch(() => {}));
  anno.on('selectAnnotation', annotation => select(regionIdOf(annotation.id), false));
  anno.on('cancelSelected', () => select(null, false));
  // after a shape's corners were dragged, letting go saves it (Annotorious' headless mode saves on the next select)
  anno.on('changeSelectionTarget', () => { state.targetChanged = true; });
  document.addEventListener('pointerup', () => {
    if (state.targetChanged) {
      state.targetChanged = false;
      setTimeout(() => anno.saveSelected(), 0);
    }
  }, true);
  // Annotorious 2.7.19 remembers the shape under the pointer in its layer's `hoveredShape`; over the selected shape
  // that is the editable shape object (EditableRect, EditablePolygon), not an SVG element, and it stays there when
  // that shape is taken away under the pointer (a box or polygon just drawn and saved, a moved one saved, Escape,
  // Delete, undo). Its mousemove handler copes (it takes `.element`); its handler for the pointer leaving the viewer's
  // canvas does not: it calls getAttribute on the object and throws "e.getAttribute is not a function", so a box drawn
  // and then the toolbar's Select (or Box, Polygon, Free-hand) clicked threw. Just before that handler runs (capture,
  // on an ancestor), the object is replaced by its element, which the handler then un-highlights and forgets as meant.
  // A private field of the pinned version: where it is missing this does nothing (and the browser test fails).
  viewer.element.addEventListener('mouseleave', event => {
    const layer = anno._app && anno._app.current && anno._app.current.annotationLayer;
    const hovered = layer && layer.hoveredShape;
    if (hovered && event.target === layer.svg.parentElement && !(hovered instanceof Element)) {
      layer.hoveredShape = hovered.element instanceof Element ? hovered.element : null;
    }
  }, true);
  // Annotorious' own Escape (on keyup: a shape half drawn is dropped) turns drawing off altogether, so that the chosen
  // Box or Polygon tool panned instead of drawing until picked again; added after Annotorious' listener, this runs after
  // it and turns the chosen tool back on
  document.addEventListener('keyup', event => {
    if (event.key === 'Escape') keepDrawing();
  });
  viewer.addHandler('open', () => {
    const item = viewer.world.getItemAt(0);
    if (item && state.image) {
      state.scale = state.image.width / item.getContentSize().x;
      drawRegions();
      document.body.dataset.viewer = state.image.id;
      showHeat();
    }
  });
  setTool('select');
}

function pixelsUrl(image) {
  const side = Math.min(Math.max(image.width, image.height), MAX_RENDER);
  const level = Number($('level').value) / 100;
  const width = Number($("window").value) / 100;
  return '/api/images/' + encodeURIComponent(image.id) + '/pixels.png?size=' + side + '&centre=' + level + '&width=' + width;
}

async function openImage(id) {
  const image = await api('GET', '/api/images/' + encodeURIComponent(id));
  state.imageId = id;
  state.image = image;
  state.undo = [];
  $('undo').disabled = true;
  state.selectedId = null;
  state.regions = new Map(image.regions.filter(r => !r.deleted).map(r => [r.id, r]));
  $('no-finding').checked = image.noFindingMark.marked;
  $('image-info').textContent = image.id + ' · ' + (image.className || 'no class') + ' · ' + (image.part || 'no part')
    + (image.width === null ? '' : ' · ' + image.width + '×' + image.height + ' px')
    + (image.prediction ? ' · model: ' + image.prediction.label + ' ' + image.prediction.probability.toFixed(2) : '');
  const flags = disagreements(image.prediction);
  $('review-flag').textContent = flags.join(' · ');
  $('review-flag').hidden = flags.length === 0;
  hideHeat();
  if (!$('region-label').value || $('region-label').dataset.auto === 'yes') {
    $('region-label').value = image.className || '';
    $('region-label').dataset.auto = 'yes';
  }
  delete document.body.dataset.viewer;
  anno.clearAnnotations();
  if (image.width === null) {
    viewer.close();
    $('image-info').textContent += ' · its file is not in the data folder (check --data); its regions are listed';
  } else {
    viewer.open({type: 'image', url: pixelsUrl(image), buildPyramid: false});
  }
  renderRegionList();
  markCurrent();
}

// window and level: the server renders again; the viewport stays where it is
function rewindow() {
  if (!state.image) return;
  const previous = viewer.world.getItemAt(0);
  viewer.addTiledImage({
    tileSource: {type: 'image', url: pixelsUrl(state.image), buildPyramid: false},
    index: 0,
    replace: !!previous,
  });
}

for (const id of ['level', 'window']) $(id).addEventListener('change', rewindow);

// ---- the served model's heat map over the image ----------------------------------------------------------------
// Asked for at the size the image is shown at, so the overlay's pixels are the image's; laid over it as a second
// item of OpenSeadragon's world (the image stays item 0), its opacity from the slider. The server computes heat maps
// one at a time and answers 503 heat_map_pending while one is being computed: the page asks again 2 s later.

const heat = {item: null, url: null, imageId: null, timer: null};

function heatUrl(image) {
  const side = Math.min(Math.max(image.width, image.height), MAX_RENDER);
  return '/api/images/' + encodeURIComponent(image.id) + '/heatmap.png?size=' + side;
}

function hideHeat() {
  clearTimeout(heat.timer);
  if (heat.item) viewer.world.removeItem(heat.item);
  if (heat.url) URL.revokeObjectURL(heat.url);
  heat.item = null;
  heat.url = null;
  heat.imageId = null;
  delete document.body.dataset.heat;
}

async function showHeat() {
  if (!$('heat-toggle').checked || !state.image || state.image.width === null || !viewer.world.getItemAt(0)) return;
  const image = state.image;
  if (heat.imageId === image.id) return;
  hideHeat();
  heat.imageId = image.id;
  $('heat-status').textContent = 'computing…';
  let answer;
  try {
    answer = await fetch(heatUrl(image), {credentials: 'same-origin'});
  } catch (e) {
    answer = null;
  }
  if (heat.imageId !== image.id || !$('heat-toggle').checked) return; // another image, or switched off meanwhile
  if (!answer || !answer.ok) {
    const body = answer ? await answer.json().catch(() => null) : null;
    heat.imageId = null;
    if (answer && answer.status === 503) {
      $('heat-status').textContent = 'computing…';
      heat.timer = setTimeout(showHeat, 2000);
    } else {
      $('heat-status').textContent = body && body.message ? body.message : 'no heat map';
    }
    return;
  }
  heat.url = URL.createObjectURL(await answer.blob());
  viewer.addTiledImage({
    tileSource: {type: 'image', url: heat.url, buildPyramid: false},
    index: 1,
    opacity: Number($('heat-opacity').value) / 100,
    success: event => {
      if (heat.imageId !== image.id) {
        viewer.world.removeItem(event.item);
        return;
      }
      heat.item = event.item;
      event.item.addOnceHandler('fully-loaded-change', () => { document.body.dataset.heat = image.id; });
      if (event.item.getFullyLoaded()) document.body.dataset.heat = image.id;
      $('heat-status').textContent = '';
    },
    error: () => { $('heat-status').textContent = 'the heat map could not be shown'; },
  });
}

$('heat-toggle').addEventListener('change', () => {
  if ($('heat-toggle').checked) showHeat();
  else { hideHeat(); $('heat-status').textContent = ''; }
});
$('heat-opacity').addEventListener('input', () => {
  if (heat.item) heat.item.setOpacity(Number($('heat-opacity').value) / 100);
});
for (const button of document.querySelectorAll('.preset')) {
  button.addEventListener('click', () => {
    $('level').value = button.dataset.level;
    $('window').value = button.dataset.window;
    rewindow();
  });
}
$('fit').addEventListener('click', () => viewer.viewport.goHome());

// ---- regions: between the server's and Annotorious' shapes --------------------------------------------------------

function regionIdOf(annotationId) {
  const match = /^#region-(\d+)$/.exec(annotationId || '');
  return match ? Number(match[1]) : null;
}

function toAnnotation(region) {
  const geometry = region.geometry;
  const s = 1 / state.scale;
  let selector;
  if (geometry.kind === 'polygon') {
    const points = geometry.polygon.map(p => (p[0] * s) + ',' + (p[1] * s)).join(' ');
    selector = {type: 'SvgSelector', value: '<svg><polygon points="' + points + '"></polygon></svg>'};
  } else if (geometry.box) {
    const b = geometry.box;
    selector = {type: 'FragmentSelector', conformsTo: 'http://www.w3.org/TR/media-frags/',
      value: 'xywh=pixel:' + (b.x * s) + ',' + (b.y * s) + ',' + (b.width * s) + ',' + (b.height * s)};
  } else {
    return null; // a mask without a box: listed, not drawn
  }
  return {
    '@context': 'http://www.w3.org/ns/anno.jsonld',
    type: 'Annotation',
    id: '#region-' + region.id,
    body: [{type: 'TextualBody', purpose: 'tagging', value: region.type}],
    target: {selector},
  };
}

// The geometry of a drawn or edited shape in the original image's pixels, kept inside the image.
function geometryOf(target) {
  const selector = Array.isArray(target.selector) ? target.selector[0] : target.selector;
  const w = state.image.width, h = state.image.height, s = state.scale;
  const clampX = x => Math.min(Math.max(x, 0), w);
  const clampY = y => Math.min(Math.max(y, 0), h);
  if (selector.type === 'FragmentSelector') {
    const [x, y, bw, bh] = selector.value.replace(/^xywh=(pixel:)?/, '').split(',').map(Number);
    const x0 = Math.round(clampX(x * s)), y0 = Math.round(clampY(y * s));
    const x1 = Math.round(clampX((x + bw) * s)), y1 = Math.round(clampY((y + bh) * s));
    return {box: {x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0)}};
  }
  const match = /points=["']([^"']+)["']/.exec(selector.value);
  const polygon = match[1].trim().split(/\s+/).map(pair => {
    const [x, y] = pair.split(',').map(Number);
    return [Math.round(clampX(x * s) * 10) / 10, Math.round(clampY(y * s) * 10) / 10];
  });
  // a double-click that closes the polygon repeats its last corner; the first corner is not repeated either
  const corners = polygon.filter((p, i) => i === 0 || p[0] !== polygon[i - 1][0] || p[1] !== polygon[i - 1][1]);
  while (corners.length > 3 && corners[corners.length - 1][0] === corners[0][0] && corners[corners.length - 1][1] === corners[0][1]) {
    corners.pop();
  }
  return {polygon: corners};
}

function draftOf(region) {
  const g = region.geometry;
  const draft = {type: region.type, label: region.label};
  if (g.kind === 'polygon') draft.polygon = g.polygon; else draft.box = g.box;
  return draft;
}

function drawRegions() {
  anno.setAnnotations([...state.regions.values()].map(toAnnotation).filter(a => a !== null));
}

function renderRegionList() {
  const list = $('region-list');
  const items = [];
  for (const region of state.regions.values()) {
    const item = document.createElement('li');
    item.dataset.regionId = region.id;
    item.classList.toggle('selected', region.id === state.selectedId);
    const title = document.createElement('div');
    title.textContent = region.type + ' · ' + region.label + ' · ' + region.geometry.kind;
    const who = document.createElement('div');
    who.className = 'who';
    who.textContent = 'by ' + region.author + ', version ' + region.version + ', ';
    const review = document.createElement('span');
    review.className = 'review-' + region.review;
    review.textContent = region.review + (region.reviewer ? ' by ' + region.reviewer : '');
    who.appendChild(review);
    item.append(title, who);
    if (state.me.role === 'reviewer' || state.me.role === 'admin') {
      for (const verdict of ['accepted', 'rejected']) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'review-' + verdict.slice(0, -2);
        button.textContent = verdict === 'accepted' ? 'Accept' : 'Reject';
        button.addEventListener('click', event => {
          event.stopPropagation();
          reviewRegion(region.id, verdict).catch(() => {});
        });
        item.appendChild(button);
      }
    }
    item.addEventListener('click', () => {
      select(region.id, true);
    });
    items.push(item);
  }
  list.replaceChildren(...items);
  if (items.length === 0) {
    const none = document.createElement('li');
    none.className = 'hint';
    none.textContent = 'No regions on this image.';
    list.appendChild(none);
  }
  const selected = state.regions.get(state.selectedId);
  $('region-editor').hidden = !selected;
  if (selected) {
    $('edit-type').value = selected.type;
    $('edit-label').value = selected.label;
  }
}

function select(regionId, inViewer) {
  // Annotorious may report the previous selection cancelled while selecting: set ours after it
  if (inViewer && regionId !== null) anno.selectAnnotation('#region-' + regionId);
  state.selectedId = regionId;
  renderRegionList();
}

function remember(entry) {
  state.undo.push(entry);
  $('undo').disabled = false;
}

// The server's answer for a region becomes the page's: in the list, and on the image one shape at a time (a full
// redraw would stop a shape being drawn at that moment).
function stored(region) {
  if (region.deleted) state.regions.delete(region.id); else state.regions.set(region.id, region);
  if (!state.image || region.imageId !== state.image.id) return;
  anno.removeAnnotation('#region-' + region.id);
  const annotation = region.deleted ? null : toAnnotation(region);
  if (annotation) anno.addAnnotation(annotation);
}

async function created(selection) {
  if (state.tool === 'select' || state.tool === 'freehand' || !state.image) {
    anno.cancelSelected();
    setTool(state.tool);
    return;
  }
  const geometry = geometryOf(selection.target);
  anno.cancelSelected();
  keepDrawing(); // ready for the next shape while this one is being saved
  await saveNew(geometry);
}

// A new region of the chosen type and label with this geometry (original pixels), saved, then drawn.
async function saveNew(geometry) {
  const imageId = state.image.id;
  const draft = Object.assign({type: $('region-type').value, label: $('region-label').value || state.image.className || 'region'},
    geometry);
  try {
    const region = await change('POST', '/api/images/' + encodeURIComponent(imageId) + '/regions', draft);
    if (!state.image || state.image.id !== imageId) return;
    stored(region);
    remember({kind: 'create', region});
  } finally {
    if (state.image && state.image.id === imageId) {
      renderRegionList();
      keepDrawing();
    }
  }
}

async function moved(annotation) {
  const id = regionIdOf(annotation.id);
  const before = state.regions.get(id);
  if (!before) return;
  const draft = Object.assign({type: before.type, label: before.label}, geometryOf(annotation.target));
  await edit(before, draft, true);
}

// An edit of `before` to `draft`; a 409 asks whether to keep theirs or overwrite with mine.
async function edit(before, draft, undoable) {
  try {
    const region = await change('PUT', '/api/regions/' + before.id, Object.assign({baseVersion: before.version}, draft));
    stored(region);
    if (undoable) remember({kind: 'edit', before, after: region});
  } catch (e) {
    if (e.status === 409) {
      await resolveConflict(e.body, overwrite => change('PUT', '/api/regions/' + before.id,
        Object.assign({baseVersion: overwrite.version}, draft)));
    } else {
      stored(before); // not saved: the shape goes back to what the server holds
    }
  } finally {
    renderRegionList();
  }
}

async function deleteRegion(region, undoable) {
  try {
    const deleted = await change('DELETE', '/api/regions/' + region.id + '?baseVersion=' + region.version);
    stored(deleted);
    if (state.selectedId === region.id) state.selectedId = null;
    if (undoable) remember({kind: 'delete', before: region});
  } catch (e) {
    if (e.status === 409) {
      await resolveConflict(e.body, theirs => change('DELETE', '/api/regions/' + region.id + '?baseVersion=' + theirs.version));
    }
  } finally {
    renderRegionList();
  }
}

async function reviewRegion(id, verdict) {
  const region = state.regions.get(id);
  try {
    stored(await change('POST', '/api/regions/' + id + '/review', {baseVersion: region.version, verdict}));
  } catch (e) {
    if (e.status === 409) {
      await resolveConflict(e.body, theirs => change('POST', '/api/regions/' + id + '/review', {baseVersion: theirs.version, verdict}));
    }
  } finally {
    renderRegionList();
  }
}

// The conflict dialog: theirs is shown; "keep theirs" takes it, "overwrite with mine" sends mine on their version.
async function resolveConflict(body, overwrite) {
  const theirs = body.theirs;
  let who = theirs.changedBy;
  if (theirs.id !== undefined) {
    try {
      const versions = (await api('GET', '/api/regions/' + theirs.id + '/history')).versions;
      who = versions[versions.length - 1].changedBy;
    } catch (e) {
      who = null;
    }
  }
  const what = theirs.id === undefined ? (theirs.marked ? 'marked the image "no finding"' : 'cleared "no finding"')
    : theirs.deleted ? 'deleted this region' : 'saved this region as "' + theirs.type + ' · ' + theirs.label + '"';
  $('conflict-text').textContent = (who || 'Someone') + ' ' + what + ' (version ' + theirs.version
    + ') after the version you started from. Keep theirs, or overwrite it with yours?';
  $('conflict').hidden = false;
  return new Promise(resolve => {
    const done = async keepMine => {
      $('conflict').hidden = true;
      $('conflict-theirs').onclick = null;
      $('conflict-mine').onclick = null;
      if (keepMine) {
        try {
          const saved = await overwrite(theirs);
          if (saved && saved.id !== undefined) stored(saved);
          if (saved && saved.imageId !== undefined && saved.marked !== undefined) state.image.noFindingMark = saved;
        } catch (e) {
          // a second conflict or an error (the status line says so): show what the server holds
          if (theirs.id !== undefined) stored(theirs);
        }
      } else if (theirs.id !== undefined) {
        stored(theirs);
      } else {
        state.image.noFindingMark = theirs;
      }
      $('no-finding').checked = state.image.noFindingMark.marked;
      renderRegionList();
      resolve();
    };
    $('conflict-theirs').onclick = () => done(false);
    $('conflict-mine').onclick = () => done(true);
  });
}

$('edit-save').addEventListener('click', () => {
  const region = state.regions.get(state.selectedId);
  if (!region) return;
  const draft = draftOf(region);
  draft.type = $('edit-type').value;
  draft.label = $('edit-label').value || region.label;
  edit(region, draft, true);
});

$('edit-delete').addEventListener('click', () => {
  const region = state.regions.get(state.selectedId);
  if (region) {
    anno.cancelSelected();
    deleteRegion(region, true);
  }
});

$('region-label').addEventListener('input', () => { $('region-label').dataset.auto = 'no'; });

$('no-finding').addEventListener('change', async () => {
  const wanted = $('no-finding').checked;
  const mark = state.image.noFindingMark;
  const path = '/api/images/' + encodeURIComponent(state.image.id) + '/no-finding';
  try {
    state.image.noFindingMark = await change('PUT', path, {baseVersion: mark.version, marked: wanted});
  } catch (e) {
    if (e.status === 409) {
      await resolveConflict(e.body, theirs => change('PUT', path, {baseVersion: theirs.version, marked: wanted}));
    } else {
      $('no-finding').checked = mark.marked;
    }
  }
});

async function undo() {
  const entry = state.undo.pop();
  $('undo').disabled = state.undo.length === 0;
  if (!entry) return;
  if (entry.kind === 'create') {
    const now = state.regions.get(entry.region.id);
    if (now) await deleteRegion(now, false);
  } else if (entry.kind === 'edit') {
    const now = state.regions.get(entry.before.id);
    if (now) await edit(now, draftOf(entry.before), false);
  } else if (entry.kind === 'delete') {
    const region = await change('POST', '/api/images/' + encodeURIComponent(entry.before.imageId) + '/regions',
      draftOf(entry.before));
    stored(region);
    renderRegionList();
  }
}
$('undo').addEventListener('click', () => undo().catch(() => {}));

// ---- the free-hand tool: press, trace the outline, let go -------------------------------------------------------
// Annotorious' own free-hand tool (its selector pack) injects a <style> element, which the page's
// Content-Security-Policy forbids; this one traces in an SVG over the viewer and saves a polygon, simplified
// (Ramer-Douglas-Peucker) to within `tolerance` original pixels of the trace.

const freehand = {points: null, trace: null};

function imagePoint(event) {
  const box = $('viewer').getBoundingClientRect();
  const p = viewer.viewport.viewerElementToImageCoordinates(new OpenSeadragon.Point(event.clientX - box.left, event.clientY - box.top));
  return [p.x * state.scale, p.y * state.scale];
}

function simplified(points, tolerance) {
  if (points.length < 3) return points;
  const [ax, ay] = points[0], [bx, by] = points[points.length - 1];
  const length = Math.hypot(bx - ax, by - ay);
  let farthest = 0, at = 0;
  for (let i = 1; i < points.length - 1; i++) {
    const [px, py] = points[i];
    const distance = length === 0 ? Math.hypot(px - ax, py - ay) : Math.abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length;
    if (distance > farthest) { farthest = distance; at = i; }
  }
  if (farthest <= tolerance) return [points[0], points[points.length - 1]];
  return simplified(points.slice(0, at + 1), tolerance).slice(0, -1).concat(simplified(points.slice(at), tolerance));
}

$('viewer').addEventListener('pointerdown', event => {
  if (state.tool !== 'freehand' || event.button !== 0 || !state.image || state.image.width === null) return;
  event.preventDefault();
  event.stopPropagation();
  $('viewer').setPointerCapture(event.pointerId);
  const box = $('viewer').getBoundingClientRect();
  freehand.origin = [box.left, box.top];
  freehand.points = [imagePoint(event)];
  freehand.screen = [[event.clientX - box.left, event.clientY - box.top]];
  freehand.trace = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  freehand.trace.setAttribute('class', 'freehand-trace');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  freehand.trace.appendChild(line);
  $('viewer').appendChild(freehand.trace);
}, true);

$('viewer').addEventListener('pointermove', event => {
  if (!freehand.points) return;
  event.preventDefault();
  event.stopPropagation();
  freehand.points.push(imagePoint(event));
  freehand.screen.push([event.clientX - freehand.origin[0], event.clientY - freehand.origin[1]]);
  freehand.trace.firstChild.setAttribute('points', freehand.screen.map(p => p[0] + ',' + p[1]).join(' '));
}, true);

function endFreehand(event) {
  if (!freehand.points) return;
  event.preventDefault();
  event.stopPropagation();
  const points = freehand.points;
  freehand.points = null;
  freehand.trace.remove();
  const w = state.image.width, h = state.image.height;
  const tolerance = Math.max(1, 0.004 * Math.max(w, h));
  const inside = points.map(([x, y]) => [Math.min(Math.max(x, 0), w), Math.min(Math.max(y, 0), h)]);
  let corners = simplified(inside, tolerance).map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
  const [fx, fy] = corners[0], [lx, ly] = corners[corners.length - 1];
  if (corners.length > 3 && Math.hypot(fx - lx, fy - ly) <= tolerance) corners = corners.slice(0, -1);
  if (corners.length < 3) return; // a click, not a trace
  saveNew({polygon: corners}).catch(() => {});
}
$('viewer').addEventListener('pointerup', endFreehand, true);
$('viewer').addEventListener('pointercancel', endFreehand, true);

// ---- tools and keys ---------------------------------------------------------------------------------------------

// Drawing stays on after a shape; unlike setTool, this never stops a shape being drawn right now.
function keepDrawing() {
  if (state.tool === 'rect' || state.tool === 'polygon') anno.setDrawingEnabled(true);
}

function setTool(tool) {
  state.tool = tool;
  for (const [name, id] of [['select', 'tool-select'], ['rect', 'tool-rect'], ['polygon', 'tool-polygon'], ['freehand', 'tool-freehand']]) {
    $(id).setAttribute('aria-pressed', String(name === tool));
  }
  if (!anno) return;
  viewer.setMouseNavEnabled(tool !== 'freehand');
  if (tool === 'select' || tool === 'freehand') {
    // setting a drawing tool drops a shape half drawn (a polygon's first corners), which would otherwise stay on the
    // image and take the next clicks, in the toolbar too, as its corners
    anno.setDrawingTool('rect');
    anno.setDrawingEnabled(false);
  } else {
    anno.setDrawingTool(tool);
    anno.setDrawingEnabled(true);
  }
}

$('tool-select').addEventListener('click', () => setTool('select'));
$('tool-rect').addEventListener('click', () => setTool('rect'));
$('tool-polygon').addEventListener('click', () => setTool('polygon'));
$('tool-freehand').addEventListener('click', () => setTool('freehand'));

document.addEventListener('keydown', event => {
  if ($('workspace').hidden || !$('conflict').hidden) return;
  const typing = ['INPUT', 'SELECT', 'TEXTAREA'].includes(event.target.tagName) && event.target.type !== 'checkbox'
    && event.target.type !== 'range';
  if (typing) return;
  const canDraw = !$('tool-rect').disabled;
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z') {
    event.preventDefault();
    if (canDraw) undo().catch(() => {});
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key;
  if (key === 'j' || key === 'ArrowDown') { event.preventDefault(); step(1); }
  else if (key === 'k' || key === 'ArrowUp') { event.preventDefault(); step(-1); }
  else if (key === 'b' && canDraw) setTool('rect');
  else if (key === 'p' && canDraw) setTool('polygon');
  else if (key === 'd' && canDraw) setTool('freehand');
  else if (key === 'v') setTool('select');
  else if (key === 'f') viewer.viewport.goHome();
  else if (key === 'h' && !$('heat-controls').hidden) $('heat-toggle').click();
  else if (key === 'n' && canDraw) $('no-finding').click();
  else if ((key === 'Delete' || key === 'Backspace') && canDraw && state.selectedId !== null) $('edit-delete').click();
  else if (key === 'Escape') { anno.cancelSelected(); select(null, false); }
  else if (key === '0' || key === '1' || key === '2') document.querySelectorAll('.preset')[Number(key)].click();
});


// ---- the Models panel: training jobs and the model registry ------------------------------------------------------
// The panel opens from its button under the region list (a visible extra header button made StudioBrowserKillTest fail
// every time, for a reason not found). Admins start a job on the current annotations, cancel it and promote a finished model; everyone signed in sees the
// jobs with their progress (polled each second while the panel is open) and the registry, and compares two models.

const models = {timer: null, list: [], ended: new Set()};

// The panel's markup, added to the page the first time it opens (the workspace's page stays as it was until then).
const MODELS_PANEL = `
<section id="models-panel" role="dialog" aria-labelledby="models-title" hidden>
  <div class="models-head">
    <h2 id="models-title">Models</h2>
    <button id="models-close" type="button" title="back to the images (Esc)">Close</button>
  </div>
  <form id="job-form">
    <h3>Train on the current annotations</h3>
    <label>Method <select id="job-method"><option value="hkd">HKD</option><option value="baseline">baseline</option>
      <option value="study">study: baseline against HKD</option></select></label>
    <label>Architecture <select id="job-architecture">
      <option value="resnet18_half">resnet18_half</option><option value="tiny_cnn">tiny_cnn</option>
      <option value="resnet18">resnet18</option><option value="convnext_micro">convnext_micro</option>
      <option value="efficientnet_b0">efficientnet_b0</option>
    </select></label>
    <label>Input size <input id="job-input-size" type="number" min="32" max="512" step="32" value="128"></label>
    <label>Epochs <input id="job-epochs" type="number" min="1" max="200" value="20"></label>
    <label id="job-seeds-label" hidden>Seeds <input id="job-seeds" type="number" min="1" max="10" value="3"></label>
    <button id="job-start" type="submit">Start job</button>
    <span id="job-error" class="error" role="alert"></span>
    <p class="hint">A job freezes the regions as they are now (its snapshot id goes into the model card), trains in its own
      process, one job at a time, then scores the test part. A study trains baseline and HKD on the same snapshot once
      per seed and compares them (paired, on the test part) in a report; it registers no model. Only admins start,
      cancel and promote.</p>
  </form>
  <h3>Jobs</h3>
  <table id="job-list">
    <thead><tr><th>Job</th><th>Method</th><th>Settings</th><th>State</th><th>Progress</th><th>By</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
  <h3>Registry</h3>
  <table id="model-list">
    <thead><tr><th>Compare</th><th>Model</th><th>Method</th><th>Architecture</th><th>Test accuracy</th>
      <th>Balanced accuracy</th><th>Macro-F1</th><th>Snapshot</th><th>Job</th><th>Served</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
  <button id="models-compare" type="button" disabled>Compare the two ticked</button>
  <div id="model-compare" hidden></div>
</section>
`;

function modelsPanel() {
  if (!$('models-panel')) {
    document.body.insertAdjacentHTML('beforeend', MODELS_PANEL);
    $('models-close').addEventListener('click', closeModels);
    $('job-form').addEventListener('submit', startJob);
    $('job-method').addEventListener('change', () => { $('job-seeds-label').hidden = $('job-method').value !== 'study'; });
    $('models-compare').addEventListener('click', () => compareModels().catch(e => { $('job-error').textContent = e.message; }));
  }
  return $('models-panel');
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function estimate(metrics, name) {
  const value = metrics && metrics[name] && metrics[name].estimate;
  return typeof value === 'number' ? value.toFixed(3) : '';
}

function withInterval(metrics, name) {
  const m = metrics && metrics[name];
  if (!m || typeof m.estimate !== 'number') return '';
  const bounds = typeof m.lower === 'number' && typeof m.upper === 'number'
    ? ' (' + m.lower.toFixed(3) + '–' + m.upper.toFixed(3) + ')' : '';
  return m.estimate.toFixed(3) + bounds;
}

async function openModels() {
  modelsPanel().hidden = false;
  const admin = state.me && state.me.role === 'admin';
  for (const id of ['job-method', 'job-architecture', 'job-input-size', 'job-epochs', 'job-seeds', 'job-start']) $(id).disabled = !admin;
  await Promise.all([refreshJobs(), refreshModels()]);
  if (!models.timer) models.timer = setInterval(() => refreshJobs().catch(() => {}), 1000);
}

function closeModels() {
  $('models-panel').hidden = true;
  clearInterval(models.timer);
  models.timer = null;
}

async function refreshJobs() {
  const answer = await api('GET', '/api/jobs');
  const admin = state.me && state.me.role === 'admin';
  const body = $('job-list').tBodies[0];
  body.textContent = '';
  let newlyEnded = false;
  for (const job of answer.jobs) {
    const row = document.createElement('tr');
    row.dataset.jobId = job.id;
    row.dataset.state = job.state;
    cell(row, job.id);
    cell(row, job.kind);
    cell(row, job.settings.architecture + ', ' + job.settings.inputSize + ' px, ' + job.settings.epochs + (job.settings.epochs === 1 ? ' epoch' : ' epochs')
      + (job.settings.seeds ? ', ' + job.settings.seeds + (job.settings.seeds === 1 ? ' seed' : ' seeds') : ''));
    cell(row, job.state, 'state-' + job.state);
    const progressCell = cell(row, '');
    const bar = document.createElement('progress');
    bar.max = 1;
    bar.value = job.progress;
    progressCell.appendChild(bar);
    const text = document.createElement('span');
    text.className = 'job-message';
    text.textContent = ' ' + Math.round(job.progress * 100) + '%' + (job.message ? ' · ' + job.message : '');
    progressCell.appendChild(text);
    cell(row, job.createdBy);
    const actions = cell(row, '');
    if (admin && (job.state === 'queued' || job.state === 'running')) {
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.className = 'job-cancel';
      cancel.textContent = 'Cancel';
      cancel.addEventListener('click', () => cancelJob(job.id));
      actions.appendChild(cancel);
    }
    if (job.report) {
      const report = document.createElement('a');
      report.className = 'job-report';
      report.href = job.report;
      report.target = '_blank';
      report.rel = 'noopener';
      report.textContent = 'Report';
      actions.appendChild(report);
    }
    body.appendChild(row);
    if (job.state === 'done' && !models.ended.has(job.id)) {
      models.ended.add(job.id);
      newlyEnded = true;
    }
  }
  if (newlyEnded) await refreshModels();
}

async function startJob(event) {
  event.preventDefault();
  $('job-error').textContent = '';
  try {
    const settings = {architecture: $('job-architecture').value, inputSize: Number($('job-input-size').value),
      epochs: Number($('job-epochs').value)};
    if ($('job-method').value === 'study') Object.assign(settings, {kind: 'study', seeds: Number($('job-seeds').value)});
    else settings.method = $('job-method').value;
    await api('POST', '/api/jobs', settings);
    await refreshJobs();
  } catch (e) {
    $('job-error').textContent = e.message;
  }
}

async function cancelJob(id) {
  try {
    await api('POST', '/api/jobs/' + id + '/cancel');
  } catch (e) {
    $('job-error').textContent = e.message;
  }
  await refreshJobs();
}

async function refreshModels() {
  const answer = await api('GET', '/api/models');
  models.list = answer.models;
  const admin = state.me && state.me.role === 'admin';
  const body = $('model-list').tBodies[0];
  body.textContent = '';
  for (const model of answer.models) {
    const row = document.createElement('tr');
    row.dataset.modelId = model.id;
    if (model.promoted) row.className = 'promoted';
    const pick = document.createElement('input');
    pick.type = 'checkbox';
    pick.className = 'model-pick';
    pick.value = model.id;
    pick.addEventListener('change', pickedForComparison);
    cell(row, '').appendChild(pick);
    cell(row, model.id + ' · ' + model.modelId);
    cell(row, model.method);
    cell(row, model.architecture);
    cell(row, estimate(model.metrics, 'accuracy'));
    cell(row, estimate(model.metrics, 'balanced_accuracy'));
    cell(row, estimate(model.metrics, 'macro_f1'));
    cell(row, model.snapshotId ? model.snapshotId.substring(0, 12) : '');
    cell(row, model.jobId);
    cell(row, model.promoted ? '★ served' : '', 'served');
    const actions = cell(row, '');
    if (admin && !model.promoted) {
      const promote = document.createElement('button');
      promote.type = 'button';
      promote.className = 'model-promote';
      promote.textContent = 'Promote';
      promote.addEventListener('click', () => promoteModel(model.id));
      actions.appendChild(promote);
    }
    body.appendChild(row);
  }
  pickedForComparison();
}

function picked() {
  return [...document.querySelectorAll('#model-list .model-pick:checked')].map(box => box.value);
}

function pickedForComparison() {
  $('models-compare').disabled = picked().length !== 2;
}

async function promoteModel(id) {
  try {
    await api('POST', '/api/models/' + id + '/promote');
  } catch (e) {
    $('job-error').textContent = e.message;
  }
  await refreshModels();
}

async function compareModels() {
  const [a, b] = picked();
  const answer = await api('GET', '/api/models/compare?a=' + encodeURIComponent(a) + '&b=' + encodeURIComponent(b));
  const table = document.createElement('table');
  table.id = 'compare-table';
  const head = table.createTHead().insertRow();
  for (const text of ['', 'Model ' + answer.a.id, 'Model ' + answer.b.id, 'Difference (second − first)']) {
    const th = document.createElement('th');
    th.textContent = text;
    head.appendChild(th);
  }
  const body = table.createTBody();
  const card = side => side.card || {};
  const config = side => (card(side).configuration && card(side).configuration.train) || {};
  const facts = [
    ['model id', s => s.modelId], ['method', s => s.method], ['architecture', s => s.architecture],
    ['input size', s => (config(s).model || {}).inputSize], ['epochs', s => (config(s).optimisation || {}).epochs],
    ['seed', s => card(s).seed], ['annotation snapshot', s => s.snapshotId], ['data fingerprint', s => s.dataFingerprint],
    ['trained', s => card(s).createdAt], ['served', s => (s.promoted ? 'yes' : 'no')],
  ];
  for (const [name, of] of facts) {
    const row = body.insertRow();
    cell(row, name);
    cell(row, of(answer.a));
    cell(row, of(answer.b));
    cell(row, '');
  }
  for (const name of ['accuracy', 'balanced_accuracy', 'macro_f1', 'macro_auc', 'cohen_kappa', 'brier', 'ece']) {
    const row = body.insertRow();
    row.dataset.metric = name;
    cell(row, 'test ' + name.replace('_', ' '));
    cell(row, withInterval(answer.a.metrics, name));
    cell(row, withInterval(answer.b.metrics, name));
    const difference = answer.difference[name];
    const lowerIsBetter = name === 'brier' || name === 'ece';
    cell(row, typeof difference === 'number' ? (difference >= 0 ? '+' : '') + difference.toFixed(3) : '',
      typeof difference !== 'number' || difference === 0 ? '' : ((difference > 0) !== lowerIsBetter ? 'better' : 'worse'));
  }
  $('model-compare').textContent = '';
  $('model-compare').appendChild(table);
  $('model-compare').hidden = false;
}

$('open-models').addEventListener('click', () => openModels().catch(e => showError(e.message)));
document.addEventListener('keydown', event => {
  if (!$('models-panel') || $('models-panel').hidden) return;
  if (event.key === 'Escape') closeModels();
  // the workspace's keys (J/K, tools, Delete) do not reach the images under the panel
  if (event.target === document.body || event.target === document.documentElement) event.stopPropagation();
}, true);

start();
