// Pickwave public tracking page: a parcel's status and dates from
// GET /api/v1/track/{number}, which needs no login and shows no name,
// address or order. /track.html?n=NUMBER opens on that parcel. Text from
// the server is only ever inserted as text.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const { client, h, showError, clearError, parseTime } = window.Pickwave;
  const api = client(null);
  const STATUS = { labelled: 'Label created, waiting for pickup', shipped: 'On its way', voided: 'Cancelled' };
  const EVENTS = { label_created: 'Label created', shipped: 'Left the warehouse', voided: 'Label cancelled' };
  const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

  async function track(n) {
    clearError($('tr-error'));
    $('tr-result').hidden = true;
    document.body.dataset.state = 'loading';
    try {
      const t = await api('GET', '/track/' + encodeURIComponent(n));
      $('tr-tracking').textContent = t.tracking_number;
      const st = $('tr-status');
      st.textContent = STATUS[t.status] || t.status;
      st.className = 'status tr-' + (/^[a-z]+$/.test(t.status) ? t.status : 'unknown');
      $('tr-result').dataset.status = t.status;
      $('tr-what').textContent = `${t.carrier}${t.service ? ' · ' + t.service : ''} · package ${t.package} of ${t.packages}`;
      const events = Array.isArray(t.events) ? t.events : [];
      $('tr-events').replaceChildren(...events.map((e) => {
        const d = parseTime(e.at);
        return h('li', { dataset: { status: e.status } }, `${EVENTS[e.status] || e.status}${d ? ' — ' + fmt.format(d) : ''}`);
      }));
      $('tr-result').hidden = false;
      document.body.dataset.state = 'ready';
    } catch (err) {
      document.body.dataset.state = 'error';
      showError($('tr-error'), err.status === 404 ? { message: 'No parcel has this tracking number. Check it and try again.' } : err);
    }
  }

  $('tr-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const n = $('tr-number').value.trim().toUpperCase();
    if (!n) return;
    history.replaceState(null, '', '?n=' + encodeURIComponent(n));
    track(n);
  });
  const n = new URLSearchParams(location.search).get('n');
  if (n) {
    $('tr-number').value = n;
    track(n);
  }
})();
