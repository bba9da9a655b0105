// Pickwave public tracking page: a parcel's status and dates from
// GET /api/v1/track/{number}, which needs no login and shows no name,
// address or order. /track.html?n=NUMBER opens on that parcel. Text from
// the server is only ever inserted as text.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const { client, h, showError, clearError, parseTime } = window.Pickwave;
  const { t } = window.I18n;
  const api = client(null);
  const STATUS = { labelled: t('tr.label_created_waiting_for_pickup'), shipped: t('tr.on_its_way'), voided: t('tr.cancelled') };
  const EVENTS = { label_created: t('tr.label_created'), shipped: t('tr.left_the_warehouse'), voided: t('tr.label_cancelled') };
  const fmt = new Intl.DateTimeFormat(I18n.locale, { dateStyle: 'medium', timeStyle: 'short' });

  async function track(n) {
    clearError($('tr-error'));
    $('tr-result').hidden = true;
    document.body.dataset.state = 'loading';
    try {
      const parcel = await api('GET', '/track/' + encodeURIComponent(n));
      $('tr-tracking').textContent = parcel.tracking_number;
      const st = $('tr-status');
      st.textContent = STATUS[parcel.status] || parcel.status;
      st.className = 'status tr-' + (/^[a-z]+$/.test(parcel.status) ? parcel.status : 'unknown');
      $('tr-result').dataset.status = parcel.status;
      $('tr-what').textContent = [parcel.carrier, parcel.service, t('tr.package_of', { package: parcel.package, packages: parcel.packages })].filter(Boolean).join(' · ');
      const events = Array.isArray(parcel.events) ? parcel.events : [];
      $('tr-events').replaceChildren(...events.map((e) => {
        const d = parseTime(e.at);
        return h('li', { dataset: { status: e.status } }, `${EVENTS[e.status] || e.status}${d ? ' — ' + I18n.date(d, { dateStyle: 'medium', timeStyle: 'short' }) : ''}`);
      }));
      $('tr-result').hidden = false;
      document.body.dataset.state = 'ready';
    } catch (err) {
      document.body.dataset.state = 'error';
      showError($('tr-error'), err.status === 404 ? { message: t('tr.no_parcel_has_this_tracking') } : err);
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
