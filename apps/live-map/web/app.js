/* Fleet live map: the operator's page. Plain browser JavaScript, no build step: Leaflet draws the
 * map, Supercluster groups cars at low zoom, socket.io (namespace /live, CONTRACT.md 3) streams the
 * cars of the current viewport. Served by the live-map service with its libraries (no CDN). */
'use strict';

const STATES = {
  available: { label: 'Available', colour: '#1a7f37' },
  reserved: { label: 'Reserved', colour: '#d4a72c' },
  on_trip: { label: 'On trip', colour: '#0969da' },
  stopped: { label: 'Stopped (parked on trip)', colour: '#8250df' },
  non_operational: { label: 'Non-operational', colour: '#6e7781' },
  non_contactable: { label: 'Non-contactable', colour: '#cf222e' },
  removed: { label: 'Removed', colour: '#24292f' },
  elsewhere: { label: 'Elsewhere', colour: '#bf8700' },
};
/** Least time between two redraws, ms (the server sends at most two updates a second). */
const REDRAW_MS = 250;
/** Above this zoom every car is drawn on its own. */
const CLUSTER_MAX_ZOOM = 14;
const TOKEN_KEY = 'fleet.operator.token';
const REFRESH_KEY = 'fleet.operator.refresh';
/** Renew the access token this long before it expires, ms. */
const RENEW_AHEAD_MS = 60_000;

const $ = (id) => document.getElementById(id);
let settings;
let map;
let socket;
/** id -> VehicleView of the cars in the viewport, as the server sent them. */
const cars = new Map();
/** id -> Leaflet marker of a car drawn on its own. */
const carMarkers = new Map();
let clusterLayer;
let redrawTimer = null;
let renewTimer = null;
/** Why the server last ended the socket (`session_ended`), if it said. */
let sessionEnded = null;

function apiBase() {
  return settings.bookingUrl || `${location.protocol}//${location.hostname}:3000`;
}

async function api(path, options = {}) {
  const headers = { 'content-type': 'application/json', ...(options.headers || {}) };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${apiBase()}/api/v1${path}`, { ...options, headers });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.message || `HTTP ${res.status}`), { status: res.status, code: body.code });
  return body;
}

// ---------------------------------------------------------------------------------------------
// Login

function showLogin(message = '') {
  clearTimeout(renewTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(REFRESH_KEY);
  $('app').hidden = true;
  $('set-password').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

/** Keeps a token pair and renews the access token shortly before it expires. */
function keep({ accessToken, refreshToken, expiresIn }) {
  sessionStorage.setItem(TOKEN_KEY, accessToken);
  sessionStorage.setItem(REFRESH_KEY, refreshToken);
  clearTimeout(renewTimer);
  renewTimer = setTimeout(renew, Math.max(5_000, expiresIn * 1000 - RENEW_AHEAD_MS));
}

/** A new token pair from the refresh token (it rotates); the socket reconnects with the new token. */
async function renew() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return showLogin('Please log in again.');
  try {
    keep(await api('/auth/refresh', { method: 'POST', body: JSON.stringify({ refreshToken }) }));
  } catch (err) {
    if (err.status === 401) return showLogin('Your session ended; please log in again.');
    renewTimer = setTimeout(renew, 10_000); // the API is unreachable: try again soon
    return;
  }
  if (socket) {
    socket.auth = { token: sessionStorage.getItem(TOKEN_KEY) };
    if (!socket.connected) socket.connect();
  }
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $('login-error').textContent = '';
  const totp = String(form.get('totp') || '').trim();
  try {
    keep(
      await api('/auth/login', {
        method: 'POST',
        body: JSON.stringify({ email: form.get('email'), password: form.get('password'), ...(totp ? { totp } : {}) }),
      }),
    );
    $('totp-row').hidden = true;
    start();
  } catch (err) {
    if (err.code === 'MFA_REQUIRED') {
      $('totp-row').hidden = false;
      $('login-error').textContent = 'Enter the code from your authenticator app (or a recovery code).';
    } else if (err.code === 'INVALID_MFA_CODE') {
      $('login-error').textContent = 'That code is wrong or was used already.';
    } else if (err.status === 429) {
      $('login-error').textContent = 'Too many attempts; please wait a little and try again.';
    } else {
      $('login-error').textContent = err.status === 401 ? 'Wrong email or password.' : `Cannot log in: ${err.message}`;
    }
  }
});

$('logout').addEventListener('click', () => {
  api('/auth/logout', { method: 'POST' }).catch(() => undefined);
  socket?.disconnect();
  showLogin();
});

// A staff invitation's link: #set-password=<token>
$('set-password').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const token = location.hash.slice('#set-password='.length);
  try {
    const member = await api('/auth/password', { method: 'POST', body: JSON.stringify({ token, password: form.get('password') }) });
    history.replaceState(null, '', location.pathname);
    showLogin(`Password set for ${member.email}: log in.`);
  } catch (err) {
    $('set-password-error').textContent = err.code === 'VALIDATION_FAILED' ? 'At least 8 characters, please.' : err.message;
  }
});

// ---------------------------------------------------------------------------------------------
// Map and cars

function setUpMap() {
  map = L.map('map', { zoomControl: true, worldCopyJump: false }).setView([52.52, 13.405], 12);
  if (settings.tileUrl) {
    const tiles = L.tileLayer(settings.tileUrl, { maxZoom: 19, attribution: settings.tileAttribution });
    // Without a reachable tile server the map still shows cars and zones on a plain background.
    let failed = 0;
    tiles.on('tileerror', () => {
      if (++failed === 1) $('notice').textContent = 'Base map tiles are unreachable; cars and zones still show.';
    });
    tiles.addTo(map);
  }
  clusterLayer = L.layerGroup().addTo(map);
  map.on('moveend', subscribe);
}

function stateCheckboxes() {
  const box = $('states');
  for (const [state, { label, colour }] of Object.entries(STATES)) {
    const row = document.createElement('label');
    row.innerHTML = `<input type="checkbox" value="${state}" checked /><span class="swatch" style="background:${colour}"></span>${label}<span class="count" data-state="${state}">0</span>`;
    row.querySelector('input').addEventListener('change', subscribe);
    box.appendChild(row);
  }
}

function wantedStates() {
  const boxes = [...document.querySelectorAll('#states input')];
  const ticked = boxes.filter((b) => b.checked).map((b) => b.value);
  return ticked.length === boxes.length ? null : ticked;
}

function subscribe() {
  if (!socket?.connected) return;
  const b = map.getBounds().pad(0.1);
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const bbox = [clamp(b.getWest(), -180, 179.999), clamp(b.getSouth(), -90, 89.999), clamp(b.getEast(), -179.999, 180), clamp(b.getNorth(), -89.999, 90)];
  const states = wantedStates();
  socket.emit('subscribe', { bbox, zoom: map.getZoom(), ...(states ? { filter: { states } } : {}) }, (ack) => {
    if (!ack?.ok) $('notice').textContent = `Subscription refused: ${ack?.error?.message ?? 'unknown error'}`;
  });
}

function scheduleRedraw() {
  if (redrawTimer === null) redrawTimer = setTimeout(redraw, REDRAW_MS);
}

function carIcon(v) {
  const colour = STATES[v.state]?.colour ?? '#000';
  return L.divIcon({
    className: '',
    html: `<div class="car${v.online ? '' : ' offline'}" data-vehicle-id="${v.id}" data-state="${v.state}" style="background:${colour}" title="${v.id}"></div>`,
    iconSize: [14, 14],
  });
}

/** Draws the cars: clusters below CLUSTER_MAX_ZOOM, each car on its own above (markers reused). */
function redraw() {
  redrawTimer = null;
  $('in-view').textContent = String(cars.size);
  const zoom = map.getZoom();
  const index = new Supercluster({ radius: 50, maxZoom: CLUSTER_MAX_ZOOM });
  index.load([...cars.values()].map((v) => ({ type: 'Feature', properties: { id: v.id }, geometry: { type: 'Point', coordinates: [v.lon, v.lat] } })));
  const b = map.getBounds();
  const features = index.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], Math.round(zoom));
  clusterLayer.clearLayers();
  const single = new Set();
  for (const f of features) {
    const [lon, lat] = f.geometry.coordinates;
    if (f.properties.cluster) {
      const n = f.properties.point_count;
      const size = n < 100 ? 30 : n < 1000 ? 38 : 46;
      const marker = L.marker([lat, lon], {
        icon: L.divIcon({ className: '', html: `<div class="cluster" style="width:${size}px;height:${size}px">${n}</div>`, iconSize: [size, size] }),
      });
      marker.on('click', () => map.setView([lat, lon], Math.min(index.getClusterExpansionZoom(f.properties.cluster_id), 18)));
      clusterLayer.addLayer(marker);
      continue;
    }
    const v = cars.get(f.properties.id);
    single.add(v.id);
    let marker = carMarkers.get(v.id);
    if (!marker) {
      marker = L.marker([lat, lon], { icon: carIcon(v) }).addTo(map);
      marker.on('click', () => showDetails(v.id, marker));
      carMarkers.set(v.id, marker);
      marker.shown = v;
    } else {
      if (marker.shown.lat !== v.lat || marker.shown.lon !== v.lon) marker.setLatLng([lat, lon]);
      if (marker.shown.state !== v.state || marker.shown.online !== v.online) marker.setIcon(carIcon(v));
      marker.shown = v;
    }
  }
  for (const [id, marker] of carMarkers) {
    if (!single.has(id)) {
      marker.remove();
      carMarkers.delete(id);
    }
  }
}

function fmtTime(iso) {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  const ago = s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
  return `${new Date(iso).toLocaleTimeString()} (${ago})`;
}

async function showDetails(id, marker) {
  const v = cars.get(id);
  if (!v) return;
  const energy = v.batteryPct !== undefined ? `battery ${v.batteryPct} %` : v.fuelPct !== undefined ? `fuel ${v.fuelPct} %` : 'unknown';
  const html = (extra = '') => `<dl class="details" data-details="${id}">
      <dt>Car</dt><dd>${id}${extra}</dd>
      <dt>State</dt><dd data-field="state">${STATES[v.state]?.label ?? v.state}${v.online ? '' : ' (offline)'}</dd>
      <dt>Energy</dt><dd data-field="energy">${energy}</dd>
      <dt>Lock</dt><dd data-field="lock">${v.locked === null ? 'unknown' : v.locked ? 'locked' : 'unlocked'}</dd>
      <dt>Last fix</dt><dd data-field="fix">${fmtTime(v.fixAt)}</dd>
      ${v.speedKmh !== undefined ? `<dt>Speed</dt><dd>${v.speedKmh} km/h</dd>` : ''}
    </dl>`;
  marker.bindPopup(html()).openPopup();
  try {
    const details = await api(`/vehicles/${encodeURIComponent(id)}`);
    marker.setPopupContent(html(`<br />${details.plate} · ${details.model}`));
  } catch {
    /* The live fields are shown already; plate and model are a bonus. */
  }
}

async function drawZones() {
  try {
    const { zones } = await api('/zones');
    const layer = L.geoJSON(
      { type: 'FeatureCollection', features: zones.map((z) => ({ type: 'Feature', properties: z, geometry: z.geometry })) },
      {
        style: (f) =>
          f.properties.kind === 'business_area'
            ? { color: '#0969da', weight: 2, fillOpacity: 0.04 }
            : { color: '#cf222e', weight: 1, fillOpacity: 0.2 },
        onEachFeature: (f, l) => l.bindTooltip(f.properties.name),
      },
    ).addTo(map);
    layer.bringToBack();
    const area = zones.find((z) => z.kind === 'business_area');
    if (area) map.fitBounds(L.geoJSON(area.geometry).getBounds());
  } catch (err) {
    $('notice').textContent = `Zones unavailable: ${err.message}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Live stream

function connect(token) {
  socket = io('/live', { auth: { token }, transports: ['websocket'] });
  socket.on('connect', () => {
    $('connection').textContent = 'live';
    $('connection').classList.add('live');
    subscribe();
  });
  socket.on('session_ended', ({ code }) => (sessionEnded = code));
  socket.on('disconnect', (reason) => {
    $('connection').textContent = 'disconnected';
    $('connection').classList.remove('live');
    if (reason !== 'io server disconnect') return; // the link dropped: socket.io reconnects
    // The server ends a socket when its session ended (log in again) or its token expired (renew).
    if (sessionEnded) {
      showLogin(sessionEnded === 'ACCOUNT_BLOCKED' ? 'Your account is blocked.' : 'Your session ended; please log in again.');
      return;
    }
    // The token renewed a minute ago (keep) replaces the one that expired.
    socket.auth = { token: sessionStorage.getItem(TOKEN_KEY) };
    socket.connect();
  });
  socket.on('connect_error', (err) => {
    if (err.message === 'UNAUTHORIZED' || err.message === 'FORBIDDEN') {
      socket.disconnect();
      showLogin(err.message === 'FORBIDDEN' ? 'This page is for operators.' : 'Please log in again.');
    } else {
      $('connection').textContent = `reconnecting (${err.message})`;
    }
  });
  socket.on('snapshot', ({ vehicles }) => {
    cars.clear();
    for (const v of vehicles) cars.set(v.id, v);
    scheduleRedraw();
  });
  socket.on('updates', ({ vehicles, removed }) => {
    for (const v of vehicles) cars.set(v.id, v);
    for (const id of removed) cars.delete(id);
    scheduleRedraw();
  });
  socket.on('stats', ({ total, byState }) => {
    $('total').textContent = String(total);
    for (const el of document.querySelectorAll('#states .count')) el.textContent = String(byState[el.dataset.state] ?? 0);
  });
}

async function start() {
  if (location.hash.startsWith('#set-password=')) {
    $('login').hidden = true;
    $('set-password').hidden = false;
    return;
  }
  if (!sessionStorage.getItem(TOKEN_KEY)) return showLogin();
  // A reloaded page: a fresh pair first, so that the renewal is scheduled again.
  if (renewTimer === null) await renew();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return;
  $('login').hidden = true;
  $('app').hidden = false;
  if (!map) {
    setUpMap();
    stateCheckboxes();
    await drawZones();
  }
  sessionEnded = null;
  connect(token);
}

fetch('/config.json')
  .then((res) => res.json())
  .then((s) => {
    settings = s;
    return start();
  })
  .catch((err) => showLogin(`The page cannot start: ${err.message}`));
