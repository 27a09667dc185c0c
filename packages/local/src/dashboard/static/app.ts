// @ts-nocheck: browser code, checked in a browser (tests/integration/dashboard.test.ts), not against Node's types.
// The dashboard page: polls the dashboard's JSON API and updates the tables in place (rows are kept by id, so a
// click never lands on a row that was just redrawn). Plain JavaScript with no dependency: the server sends this
// file as it is when running from source, and the build's tsc output of it once built, so it must stay free of
// TypeScript syntax. A `.ts` file only because the packaging check treats every .js file in dist as compiled.
export {};

const JOBS_EVERY_MS = 1000;
const PANELS_EVERY_MS = 2000;
const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

const $ = (id) => document.getElementById(id);
const expanded = new Set();
const jobRows = new Map();
let lastData = null;
let clockSkew = 0;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

async function api(path, init) {
  const response = await fetch(path, {
    ...init,
    headers: { ...(init?.method === 'POST' && { 'x-baton-dashboard': '1' }) },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${path} answered ${response.status}`);
  return body;
}

function showError(error) {
  const box = $('toast');
  box.textContent = String(error?.message ?? error);
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => {
    box.hidden = true;
  }, 5000);
}

const shortId = (id) => (id.length > 12 ? `${id.slice(0, 10)}…` : id);
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');

function duration(job) {
  if (!job.startedAt) return '—';
  const start = Date.parse(job.startedAt);
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now() + clockSkew;
  const ms = Math.max(0, end - start);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function outcome(job) {
  if (job.error) return { text: `${job.error.type}: ${job.error.message}`, error: true };
  if (job.result !== undefined) return { text: JSON.stringify(job.result), error: false };
  if (job.cancelRequested && !FINISHED.has(job.status)) return { text: 'cancel requested', error: false };
  return { text: '', error: false };
}

// --- jobs ---------------------------------------------------------------------------------------------------

function jobRow(job) {
  const row = el('tr', { class: 'job', 'data-job-id': job.id });
  row.innerHTML =
    '<td class="id"><code></code><div class="progress-text created"></div></td>' +
    '<td class="operation"></td><td class="owner mono"></td><td><span class="status"></span></td>' +
    '<td class="progress"><progress max="1" value="0"></progress><div class="progress-text message"></div></td>' +
    '<td class="attempts"></td><td class="hops"></td><td class="duration"></td>' +
    '<td class="outcome"></td><td class="actions"><button class="danger cancel" type="button">Cancel</button></td>';
  return row;
}

function updateJobRow(row, job) {
  row.dataset.status = job.status;
  row.querySelector('.id code').textContent = shortId(job.id);
  row.querySelector('.id code').title = job.id;
  row.querySelector('.created').textContent = time(job.createdAt);
  row.querySelector('.operation').textContent = job.operation;
  const owner = row.querySelector('.owner');
  owner.textContent = job.owner;
  owner.title = job.owner;
  const status = row.querySelector('.status');
  status.textContent = job.status;
  status.className = `status ${job.status}`;
  const fraction = job.status === 'succeeded' ? 1 : (job.progress?.fraction ?? 0);
  const bar = row.querySelector('progress');
  bar.value = fraction;
  bar.dataset.fraction = String(fraction);
  row.querySelector('.message').textContent =
    `${Math.round(fraction * 100)}%${job.progress?.message ? ` · ${job.progress.message}` : ''}`;
  row.querySelector('.attempts').textContent = String(job.attempts ?? 0);
  row.querySelector('.hops').textContent = String(job.hop === undefined ? 0 : job.hop + 1);
  row.querySelector('.duration').textContent = duration(job);
  const result = outcome(job);
  const cell = row.querySelector('.outcome');
  cell.textContent = result.text;
  cell.title = result.text;
  cell.className = `outcome${result.error ? ' error' : ''}`;
  const cancel = row.querySelector('.cancel');
  cancel.hidden = FINISHED.has(job.status);
  cancel.disabled = job.cancelRequested === true;
}

function detailOf(job) {
  const cell = el('td', { colspan: 10 });
  if (Array.isArray(job.history) && job.history.length > 0) {
    const list = el('ol', { class: 'history' });
    for (const entry of job.history) {
      const parts = [entry.event, `→ ${entry.status}`];
      if (entry.hop !== undefined) parts.push(`hop ${entry.hop}`);
      if (entry.attempt !== undefined) parts.push(`attempt ${entry.attempt}`);
      if (entry.by) parts.push(`by ${entry.by}`);
      if (entry.note) parts.push(`(${entry.note})`);
      if (entry.error) parts.push(`— ${entry.error.type}: ${entry.error.message}`);
      list.append(el('li', {}, el('time', { text: `${time(entry.at)} ` }), parts.join(' ')));
    }
    cell.append(el('strong', { text: 'History' }), list);
  } else {
    const fields = el('dl', { class: 'fields' });
    const add = (name, value) => {
      if (value !== undefined && value !== '')
        fields.append(el('dt', { text: name }), el('dd', { text: value }));
    };
    add('id', job.id);
    add('created', job.createdAt);
    add('started', job.startedAt);
    add('updated', job.updatedAt);
    add('finished', job.finishedAt);
    add('attempts', String(job.attempts));
    add('hop', job.hop === undefined ? undefined : String(job.hop));
    add('cancel requested', job.cancelRequested ? 'yes' : undefined);
    add(
      'error',
      job.error ? `${job.error.type}: ${job.error.message} (retryable: ${job.error.retryable})` : undefined,
    );
    add('result', job.result === undefined ? undefined : JSON.stringify(job.result));
    cell.append(el('strong', { text: 'Job' }), fields);
  }
  return el('tr', { class: 'detail', 'data-detail-of': job.id }, cell);
}

function renderJobs(data) {
  lastData = data;
  clockSkew = data.now - Date.now();
  const operations = $('filter-operation');
  const chosen = operations.value;
  const known = [...operations.options].map((option) => option.value).filter(Boolean);
  if (known.join('\n') !== data.operations.join('\n')) {
    operations.replaceChildren(el('option', { value: '', text: 'any' }));
    for (const name of data.operations) operations.append(el('option', { value: name, text: name }));
    operations.value = data.operations.includes(chosen) ? chosen : '';
  }
  $('job-count').textContent =
    data.total > data.jobs.length ? `${data.jobs.length} newest of ${data.total}` : `${data.total}`;
  $('no-jobs').hidden = data.jobs.length > 0;

  const body = $('job-rows');
  const seen = new Set();
  const ordered = [];
  for (const job of data.jobs) {
    seen.add(job.id);
    let row = jobRows.get(job.id);
    if (!row) {
      row = jobRow(job);
      jobRows.set(job.id, row);
    }
    updateJobRow(row, job);
    ordered.push(row);
    if (expanded.has(job.id)) ordered.push(detailOf(job));
  }
  for (const [id, row] of jobRows) {
    if (!seen.has(id)) {
      row.remove();
      jobRows.delete(id);
    }
  }
  for (const detail of body.querySelectorAll('tr.detail')) detail.remove();
  // Appending an attached row moves it: rows are reordered, never rebuilt.
  for (const row of ordered) body.append(row);
}

async function refreshJobs() {
  const query = new URLSearchParams();
  if ($('filter-status').value) query.set('status', $('filter-status').value);
  if ($('filter-operation').value) query.set('operation', $('filter-operation').value);
  const data = await api(`/api/jobs?${query}`);
  renderJobs(data);
}

$('job-rows').addEventListener('click', async (event) => {
  const row = event.target.closest('tr.job');
  if (!row) return;
  const id = row.dataset.jobId;
  if (event.target.closest('button.cancel')) {
    const button = event.target.closest('button.cancel');
    button.disabled = true;
    try {
      await api(`/api/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
      await refreshJobs();
    } catch (error) {
      button.disabled = false;
      showError(error);
    }
    return;
  }
  if (expanded.has(id)) expanded.delete(id);
  else expanded.add(id);
  if (lastData) renderJobs(lastData);
});

for (const filter of ['filter-status', 'filter-operation']) {
  $(filter).addEventListener('change', () => refreshJobs().catch(showError));
}

// --- failed events and events -------------------------------------------------------------------------------

function renderFailed({ failedEvents }) {
  const body = $('failed-rows');
  body.replaceChildren();
  $('no-failed').hidden = failedEvents.length > 0;
  for (const failed of [...failedEvents].reverse()) {
    const jobId = failed.payload && typeof failed.payload === 'object' ? failed.payload.jobId : undefined;
    const error = failed.error ? `${failed.error.errorType}: ${failed.error.errorMessage}` : '';
    const replay = el('button', { type: 'button', class: 'replay', text: 'Replay' });
    replay.addEventListener('click', async () => {
      replay.disabled = true;
      try {
        await api(`/api/failed-events/${encodeURIComponent(failed.id)}/replay`, { method: 'POST' });
        await Promise.all([refreshFailed(), refreshJobs()]);
      } catch (failure) {
        replay.disabled = false;
        showError(failure);
      }
    });
    body.append(
      el(
        'tr',
        { 'data-failed-id': failed.id, 'data-job-id': jobId },
        el('td', { text: time(failed.failedAt) }),
        el('td', { class: 'mono', text: failed.functionName }),
        el('td', { class: 'mono', text: jobId ? shortId(String(jobId)) : '', title: jobId }),
        el('td', { text: failed.reason }),
        el('td', { text: String(failed.attempts) }),
        el('td', { class: 'outcome error', text: error, title: error }),
        el('td', {}, replay),
      ),
    );
  }
}

const refreshFailed = async () => renderFailed(await api('/api/failed-events'));

async function refreshEvents() {
  const { available, events } = await api('/api/events');
  $('events').hidden = !available;
  $('events-link').hidden = !available;
  if (!available) return;
  $('no-events').hidden = events.length > 0;
  const body = $('event-rows');
  body.replaceChildren();
  for (const event of [...events].reverse()) {
    const detail = JSON.stringify(event.detail);
    body.append(
      el(
        'tr',
        {},
        el('td', { text: time(event.time) }),
        el('td', { text: event['detail-type'] }),
        el('td', { class: 'mono', text: event.source }),
        el('td', { class: 'mono', text: event.eventBusName }),
        el('td', { class: 'outcome mono', text: detail, title: detail }),
      ),
    );
  }
}

// --- endpoints ----------------------------------------------------------------------------------------------

const LABELS = {
  restApi: 'REST API',
  httpApi: 'HTTP API',
  functionUrl: 'Function URL',
  invoke: 'Lambda Invoke API',
  dynamodb: 'DynamoDB',
  dashboard: 'Dashboard',
};

function renderEndpoints(data) {
  if (data.service) $('service').textContent = data.service;
  document.title = data.service ? `${data.service} · Baton` : 'Baton dashboard';
  $('reference-link').hidden = !data.reference;
  const rows = $('endpoint-rows');
  rows.replaceChildren();
  for (const [key, label] of Object.entries(LABELS)) {
    const url = data.endpoints[key];
    if (typeof url === 'string') {
      rows.append(el('tr', {}, el('th', { text: label }), el('td', {}, el('code', { text: url }))));
    }
  }
  const functions = Object.entries(data.endpoints.functions ?? {})
    .map(([key, name]) => `${key}: ${name}`)
    .join(', ');
  rows.append(el('tr', {}, el('th', { text: 'Functions' }), el('td', { class: 'mono', text: functions })));
  if (data.reference) {
    rows.append(
      el(
        'tr',
        {},
        el('th', { text: 'API reference' }),
        el('td', {}, el('a', { href: '/reference', text: '/reference' })),
      ),
    );
  }
  const examples = $('examples');
  examples.replaceChildren();
  for (const example of data.examples) {
    const text = example.lines.join('\n');
    const copy = el('button', { type: 'button', text: 'Copy' });
    copy.addEventListener('click', async () => {
      const command = example.lines[0];
      try {
        await navigator.clipboard.writeText(command);
        copy.textContent = 'Copied';
      } catch {
        copy.textContent = 'Select and copy';
      }
      setTimeout(() => {
        copy.textContent = 'Copy';
      }, 1500);
    });
    examples.append(
      el(
        'div',
        { class: 'example' },
        el('div', { class: 'example-head' }, el('span', { text: example.title }), copy),
        el('pre', { text }),
      ),
    );
  }
}

// --- polling ------------------------------------------------------------------------------------------------

function every(ms, refresh) {
  const tick = async () => {
    try {
      await refresh();
      $('live').classList.remove('stale');
    } catch (error) {
      $('live').classList.add('stale');
      $('live').title = String(error?.message ?? error);
    }
    setTimeout(tick, ms);
  };
  tick();
}

every(JOBS_EVERY_MS, refreshJobs);
every(PANELS_EVERY_MS, () => Promise.all([refreshFailed(), refreshEvents()]));
// Until the operations are known (`baton dev` asks the service for them once it is up), the examples use a
// placeholder: ask again until they are there.
async function loadEndpoints() {
  try {
    const data = await api('/api/endpoints');
    renderEndpoints(data);
    if (data.operations !== null) return;
  } catch {
    // The service is starting or stopping: ask again.
  }
  setTimeout(loadEndpoints, 3000);
}
loadEndpoints();
