/*
 * Spring Boot Admin UI extension: the "Connection Pools" view of an instance, for the connpool starter.
 *
 * Plain JavaScript, no build step: Spring Boot Admin 4 finds every *.js and *.css under
 * META-INF/spring-boot-admin-server-ui/extensions/ on the classpath and loads it with a classic
 * <script> (not a module) after its own app, so this file uses no import/export and takes what it
 * needs from the globals SBA sets: window.Vue (the whole 'vue' module) and window.SBA.use, which calls
 * install({ viewRegistry, applicationStore, i18n }). The component is a Vue options object with a
 * render function, so it needs no template compiler either.
 *
 * The view shows every pool of GET actuator/connpools (size, min, max, in use, idle, waiters, suspected
 * leaks, close counters by reason, whether it is suspended) with its health from GET
 * actuator/health/connpool, refreshed every 2 s, and per pool the controls of the endpoint's write
 * operation (POST actuator/connpools/{name} with {"action": ...}): Evict idle, Soft evict,
 * Suspend/Resume, and a Resize form (minSize, maxSize). Requests go through the admin server's proxy
 * (instance.axios). The endpoint allows the POST only with
 * management.endpoint.connpools.access=unrestricted; the read output says so ("access"), and the
 * controls are shown only then. An application that does not say (an older starter) gets the controls,
 * and a 405 turns them off with a note.
 */
(function () {
  'use strict';

  const Vue = window.Vue;
  const SBA = window.SBA;
  if (!Vue || !SBA || typeof SBA.use !== 'function') {
    console.error('connpools extension: Spring Boot Admin globals (Vue, SBA.use) not found; view not added');
    return;
  }
  const { h, resolveComponent } = Vue;

  const REFRESH_MILLIS = 2000;
  // a request that hangs shows as an error instead of a view that never loads
  const REQUEST_TIMEOUT_MILLIS = 10000;
  const REASONS = ['idle', 'lifetime', 'health', 'unusable', 'shutdown'];
  const COUNTERS = [
    { field: 'size', label: 'Size', title: 'Connections open, in use and idle' },
    { field: 'min', label: 'Min', title: 'min-size: connections kept open when idle' },
    { field: 'max', label: 'Max', title: 'max-size: most connections open at once' },
    { field: 'active', label: 'Active', title: 'Connections in use' },
    { field: 'idle', label: 'Idle', title: 'Idle connections' },
    { field: 'waiters', label: 'Waiters', title: 'Callers waiting for a connection' },
    { field: 'created', label: 'Created', title: 'Connections opened since start' },
    { field: 'leaked', label: 'Leaked', title: 'Leases held longer than leak-detection-threshold (each counted once)' },
  ];
  const READ_ONLY_MESSAGE = 'The pools cannot be changed from here: the connpools endpoint is read-only. Set '
      + 'management.endpoint.connpools.access=unrestricted on the application to allow evicting, suspending '
      + 'and resizing.';

  // the server icon of the sidebar group
  const ICON = '<svg xmlns="http://www.w3.org/2000/svg" class="h-5 w-5 mr-3" fill="none" viewBox="0 0 24 24" '
      + 'stroke="currentColor" stroke-width="2"><rect x="3" y="4" width="18" height="6" rx="1.5"/>'
      + '<rect x="3" y="14" width="18" height="6" rx="1.5"/><path stroke-linecap="round" d="M7 7h.01M7 17h.01"/></svg>';

  /** What went wrong with a request, in a sentence. */
  function describe(error) {
    const response = error && error.response;
    if (response) {
      const detail = response.data && (response.data.detail || response.data.message || response.data.error);
      return 'HTTP ' + response.status + (detail ? ': ' + detail : '');
    }
    return (error && error.message) || String(error);
  }

  function valueOf(pool, field) {
    if (field === 'max') {
      return pool.config ? pool.config.maxSize : undefined;
    }
    if (field === 'min') {
      return pool.config ? pool.config.minSize : undefined;
    }
    if (field === 'leaked') {
      return pool.stats ? pool.stats.leaksSuspected : undefined;
    }
    return pool.stats ? pool.stats[field] : undefined;
  }

  /** What the view says after an action succeeded. */
  function outcomeText(action, data) {
    switch (action) {
      case 'evict-idle':
        return 'evicted ' + data.evicted + ' idle';
      case 'soft-evict':
        return 'soft-evicted: ' + data.evicted + ' idle closed, the rest when returned';
      case 'suspend':
        return 'suspended';
      case 'resume':
        return 'resumed';
      default:
        return 'resized to ' + data.minSize + '..' + data.maxSize;
    }
  }

  const ConnPoolsView = {
    name: 'ConnPoolsView',
    props: {
      instance: { type: Object, required: true },
      application: { type: Object, default: null },
    },
    data() {
      return {
        pools: null, // name -> descriptor, as GET actuator/connpools lists them; null until the first answer
        health: {}, // name -> status, from GET actuator/health/connpool
        error: null, // why the last refresh failed, or null
        updatedAt: null,
        access: null, // the endpoint's access as it reports it: 'read-only', 'unrestricted', or null if it does not say
        busy: {}, // name -> the action whose POST runs
        outcomes: {}, // name -> { ok, text } of its last action
        drafts: {}, // name -> { minSize, maxSize } as typed in its resize form
        readOnly: false, // a POST answered 405
      };
    },
    watch: {
      'instance.id'() {
        // another instance in the same view: start over
        this.pools = null;
        this.health = {};
        this.outcomes = {};
        this.drafts = {};
        this.access = null;
        this.readOnly = false;
        this.refresh();
      },
    },
    created() {
      this.generation = 0;
      this.timer = null;
      this.stopped = false;
      this.refresh();
    },
    beforeUnmount() {
      this.stopped = true;
      clearTimeout(this.timer);
    },
    methods: {
      /** Fetches pools and health now, then again every REFRESH_MILLIS; a later call supersedes this one. */
      async refresh() {
        clearTimeout(this.timer);
        const generation = ++this.generation;
        try {
          const [list, health] = await Promise.all([this.fetchPools(), this.fetchHealth()]);
          if (generation === this.generation) {
            this.pools = list.pools || {};
            this.access = list.access || null;
            this.health = health;
            this.error = null;
            this.updatedAt = new Date();
          }
        } catch (e) {
          if (generation === this.generation) {
            this.error = describe(e);
          }
        }
        if (!this.stopped && generation === this.generation) {
          this.timer = setTimeout(() => this.refresh(), REFRESH_MILLIS);
        }
      },
      async fetchPools() {
        const response = await this.instance.axios.get('actuator/connpools', {
          suppressToast: true,
          timeout: REQUEST_TIMEOUT_MILLIS,
        });
        return response.data || {};
      },
      /** Each pool's status; empty if the health contributor is off or hidden. */
      async fetchHealth() {
        try {
          const response = await this.instance.axios.get('actuator/health/connpool', {
            suppressToast: true,
            timeout: REQUEST_TIMEOUT_MILLIS,
            // DOWN answers 503, with the same body
            validateStatus: (status) => status === 200 || status === 503,
          });
          const components = (response.data && response.data.components) || {};
          const statuses = {};
          Object.keys(components).forEach((name) => {
            statuses[name] = components[name].status;
          });
          return statuses;
        } catch (e) {
          return {};
        }
      },
      /** Sends one action of the write operation: {"action": ...} and, for resize, the sizes. */
      async act(name, action, body) {
        this.busy = Object.assign({}, this.busy, { [name]: action });
        let outcome;
        try {
          // always a JSON body: actuator write operations accept JSON only, and axios would label an
          // empty POST as a form (415)
          const response = await this.instance.axios.post('actuator/connpools/' + encodeURIComponent(name),
              Object.assign({ action: action }, body || {}), {
                suppressToast: true,
                timeout: REQUEST_TIMEOUT_MILLIS,
              });
          outcome = { ok: true, text: outcomeText(action, response.data || {}) };
          if (action === 'resize') {
            this.drafts = Object.assign({}, this.drafts, { [name]: undefined });
          }
        } catch (e) {
          const status = e.response && e.response.status;
          if (status === 405) {
            this.readOnly = true;
            outcome = { ok: false, text: 'not allowed (access read-only)' };
          } else if (status === 404) {
            outcome = { ok: false, text: 'no such pool' };
          } else if (status === 400 && e.response.data && e.response.data.message) {
            outcome = { ok: false, text: 'refused: ' + e.response.data.message };
          } else {
            outcome = { ok: false, text: 'failed: ' + describe(e) };
          }
        }
        this.busy = Object.assign({}, this.busy, { [name]: undefined });
        this.outcomes = Object.assign({}, this.outcomes, { [name]: outcome });
        this.refresh();
      },
      evict(name) {
        return this.act(name, 'evict-idle');
      },
      /** The sizes in a pool's resize form: as typed, else the pool's own. */
      draft(name, pool) {
        const typed = this.drafts[name] || {};
        const config = pool.config || {};
        return {
          minSize: typed.minSize !== undefined ? typed.minSize : String(config.minSize ?? ''),
          maxSize: typed.maxSize !== undefined ? typed.maxSize : String(config.maxSize ?? ''),
        };
      },
      type(name, pool, field, value) {
        this.drafts = Object.assign({}, this.drafts, {
          [name]: Object.assign({}, this.draft(name, pool), { [field]: value }),
        });
      },
      /** Whether the controls are shown: the endpoint allows writes, or does not say and has not refused. */
      writable() {
        return this.access === 'unrestricted' || (this.access === null && !this.readOnly);
      },
      /** The controls of one pool: the buttons, the resize form, and the outcome of its last action. */
      renderControls(name, pool) {
        const SbaButton = resolveComponent('sba-button');
        const busy = this.busy[name];
        const off = busy !== undefined || pool.closed;
        const button = (action, label, busyLabel, title, onClick) => h(SbaButton, {
          size: 'xs',
          disabled: off,
          title: title,
          'data-action': action,
          onClick: onClick,
        }, () => (busy === action ? busyLabel : label));
        const draft = this.draft(name, pool);
        const sizeInput = (field, label) => h('label', { class: 'connpools-size' }, [
          label,
          h('input', {
            type: 'number',
            min: 0,
            value: draft[field],
            disabled: off,
            'data-input': field,
            onInput: (event) => this.type(name, pool, field, event.target.value),
          }),
        ]);
        const controls = [
          h('div', { class: 'connpools-buttons' }, [
            button('evict', 'Evict idle', 'Evicting…', 'Close the idle connections of ' + name
                + ' now; the pool reopens up to min-size', () => this.evict(name)),
            button('soft-evict', 'Soft evict', 'Evicting…', 'Retire every connection of ' + name
                + ': idle ones now, those in use when returned; the pool refills with new ones (after a'
                + ' credential, DNS or certificate change)', () => this.act(name, 'soft-evict')),
            pool.suspended
              ? button('resume', 'Resume', 'Resuming…', 'Lend and connect again; waiting callers are served',
                  () => this.act(name, 'resume'))
              : button('suspend', 'Suspend', 'Suspending…', 'Lend nothing and open nothing until resumed;'
                  + ' callers wait within their acquire timeout', () => this.act(name, 'suspend')),
          ]),
          h('form', {
            class: 'connpools-resize',
            'data-form': 'resize',
            onSubmit: (event) => {
              event.preventDefault();
              const sizes = this.draft(name, pool);
              this.act(name, 'resize', { minSize: sizes.minSize, maxSize: sizes.maxSize });
            },
          }, [
            sizeInput('minSize', 'min'),
            sizeInput('maxSize', 'max'),
            // a plain submit button: the form's submit (a click, or Enter in a field) does the resize
            h('button', { type: 'submit', class: 'connpools-resize-button', disabled: off, 'data-action': 'resize',
              title: 'Set min-size and max-size of ' + name + ' now' },
            busy === 'resize' ? 'Resizing…' : 'Resize'),
          ]),
        ];
        const outcome = this.outcomes[name];
        if (outcome) {
          controls.push(h('div', {
            class: outcome.ok ? 'connpools-outcome' : 'connpools-outcome connpools-outcome--failed',
            'data-field': 'outcome',
          }, outcome.text));
        }
        return controls;
      },
      /** The table of pools: one row each, in the endpoint's order. */
      renderTable(names) {
        const SbaStatusBadge = resolveComponent('sba-status-badge');
        const writable = this.writable();
        const head = h('thead', [
          h('tr', [
            h('th', { rowspan: 2, class: 'connpools-left' }, 'Pool'),
            h('th', { rowspan: 2, class: 'connpools-left' }, 'Health'),
            h('th', { rowspan: 2, class: 'connpools-left', title: 'Suspended: lends and opens nothing until resumed' },
                'State'),
            ...COUNTERS.map((c) => h('th', { rowspan: 2, title: c.title }, c.label)),
            h('th', { colspan: REASONS.length, class: 'connpools-group' }, 'Closed, by reason'),
          ]),
          h('tr', REASONS.map((reason) => h('th', { class: 'connpools-reason' }, reason))),
        ]);
        const columns = 3 + COUNTERS.length + REASONS.length;
        const rows = names.flatMap((name) => {
          const pool = this.pools[name];
          const status = this.health[name];
          const closed = (pool.stats && pool.stats.closed) || {};
          const nameCell = [h('div', { class: 'connpools-name' }, name)];
          if (pool.target) {
            nameCell.push(h('div', { class: 'connpools-target' }, pool.target));
          }
          if (pool.lastConnectError) {
            nameCell.push(h('div', { class: 'connpools-connect-error', 'data-field': 'lastConnectError' },
                pool.lastConnectError));
          }
          const row = h('tr', { key: name, 'data-pool': name, class: writable ? 'connpools-with-controls' : '' }, [
            h('td', { class: 'connpools-left' }, nameCell),
            h('td', { class: 'connpools-left', 'data-field': 'status' },
                status ? [h(SbaStatusBadge, { status: status })] : '–'),
            h('td', { class: 'connpools-left', 'data-field': 'state' }, [
              h('span', { class: pool.closed ? 'connpools-state connpools-state--closed'
                : pool.suspended ? 'connpools-state connpools-state--suspended' : 'connpools-state' },
              pool.closed ? 'closed' : pool.suspended ? 'suspended' : 'active'),
            ]),
            ...COUNTERS.map((c) => h('td', { 'data-field': c.field }, String(valueOf(pool, c.field) ?? '–'))),
            ...REASONS.map((reason) => h('td', { 'data-field': 'closed.' + reason }, String(closed[reason] ?? '–'))),
          ]);
          if (!writable) {
            return [row];
          }
          // the controls on a row of their own, under the pool's numbers: the table stays narrow
          return [row, h('tr', { key: name + '-controls', 'data-pool-controls': name, class: 'connpools-controls-row' }, [
            h('td', { colspan: columns, class: 'connpools-left' },
                [h('div', { class: 'connpools-controls' }, this.renderControls(name, pool))]),
          ])];
        });
        return h('div', { class: 'connpools-scroll' }, [
          h('table', { class: 'connpools-table' }, [head, h('tbody', rows)]),
        ]);
      },
    },
    render() {
      const SbaPanel = resolveComponent('sba-panel');
      const names = this.pools ? Object.keys(this.pools) : [];
      const subtitle = this.pools === null
        ? 'loading'
        : names.length + (names.length === 1 ? ' pool' : ' pools') + ', refreshed every '
          + REFRESH_MILLIS / 1000 + ' s' + (this.updatedAt ? ', last at ' + this.updatedAt.toLocaleTimeString() : '');
      const body = [];
      if (this.error) {
        body.push(h('div', { class: 'connpools-alert connpools-alert--error', role: 'alert' },
            'Could not read actuator/connpools: ' + this.error));
      }
      if (this.readOnly || this.access === 'read-only') {
        body.push(h('div', { class: 'connpools-alert connpools-alert--warning', role: 'alert',
          'data-connpools-read-only': '' }, READ_ONLY_MESSAGE));
      }
      if (this.pools !== null && names.length === 0) {
        body.push(h('p', { class: 'connpools-empty' }, 'This application has no connection pools.'));
      } else if (this.pools !== null) {
        body.push(this.renderTable(names));
      }
      return h('section', { class: 'connpools' }, [
        h(SbaPanel, { title: 'Connection pools', subtitle: subtitle }, { default: () => body }),
      ]);
    },
  };

  SBA.use({
    install({ viewRegistry, i18n }) {
      if (i18n && typeof i18n.mergeLocaleMessage === 'function') {
        i18n.mergeLocaleMessage('en', {
          instances: { connpools: { label: 'Connection Pools' } },
          sidebar: { connpools: { title: 'Connection Pools' } },
        });
      }
      viewRegistry.setGroupIcon('connpools', ICON);
      viewRegistry.addView({
        name: 'instances/connpools',
        parent: 'instances',
        path: 'connpools',
        component: ConnPoolsView,
        label: 'instances.connpools.label',
        group: 'connpools',
        order: 60,
        isEnabled: ({ instance }) => instance.hasEndpoint('connpools'),
      });
    },
  });
})();
