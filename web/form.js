/* form.js -- optional help on /form, /dept and the sign-in page: the pages
 * work without it.
 * Puts the cursor into the field a refused form names, remembers the
 * claimant's name on /dept, shows the token
 * while it is typed when asked, keeps the report
 * being written as a draft in localStorage, stops a double
 * tap, and resends after a network error with the same idempotency key (the
 * form's hidden "idem" field), so a resend never makes a second report. */
(function () {
	'use strict';
	var form = document.getElementById('report');
	var names = ['enterprise', 'topic', 'title', 'detail'];
	var key = 'liaison-draft';

	if (document.getElementById('done')) {
		try { localStorage.removeItem(key); } catch (e) { /* private mode */ }
	}
	/* A refused form: the page opened at the form's anchor (that works
	 * without this script); put the cursor into the field at fault. */
	var bad = document.querySelector('[aria-invalid="true"]');
	if (bad) {
		/* after the browser went to the anchor, which takes the focus */
		window.addEventListener('load', function () {
			setTimeout(function () { bad.focus(); }, 0);
		});
	}
	/* /dept: the claimant's name, remembered on this phone for the next
	 * claim (filled in only where nothing is typed). */
	document.querySelectorAll('input[name=claimant]').forEach(function (c) {
		try {
			if (!c.value) c.value = localStorage.getItem('liaison-claimant') || '';
		} catch (e) { /* no storage: type it */ }
		c.form.addEventListener('submit', function () {
			try { localStorage.setItem('liaison-claimant', c.value); } catch (e) { }
		});
	});
	/* The sign-in page: a box that shows the token while it is typed. */
	var show = document.getElementById('show-token');
	if (show) {
		document.getElementById('show-token-label').hidden = false;
		show.addEventListener('change', function () {
			document.getElementById('token').type =
			    show.checked ? 'text' : 'password';
		});
	}
	document.querySelectorAll('form[method=post]').forEach(function (f) {
		f.addEventListener('submit', function (ev) {
			var b = f.querySelector('button[type=submit]');
			if (f.dataset.sending === '1') {
				ev.preventDefault();
				return;
			}
			f.dataset.sending = '1';
			if (b) b.disabled = true;
			if (f.id === 'report' && window.fetch) {
				ev.preventDefault();
				send(f, b, 0);
			}
		});
	});
	if (!form) return;

	/* Restore a draft only into an empty form (not over a server error). */
	try {
		var draft = JSON.parse(localStorage.getItem(key) || 'null');
		var empty = names.every(function (n) { return !form.elements[n].value; });
		if (draft && empty) {
			names.forEach(function (n) {
				if (draft[n]) form.elements[n].value = draft[n];
			});
			if (draft.difficult) form.elements.difficult.checked = true;
		}
	} catch (e) { /* no storage: nothing to restore */ }
	form.addEventListener('input', function () {
		var d = { difficult: form.elements.difficult.checked };
		names.forEach(function (n) { d[n] = form.elements[n].value; });
		try { localStorage.setItem(key, JSON.stringify(d)); } catch (e) { }
	});

	function send(f, b, attempt) {
		var body = new URLSearchParams(new FormData(f));
		var status = document.getElementById('sending');
		fetch(f.action, { method: 'POST', body: body, credentials: 'same-origin' })
			.then(function (resp) {
				if (resp.redirected) {
					window.location.href = resp.url;
					return;
				}
				/* Refused (a field to correct): let the browser show the
				 * server's page; the same key cannot make a second report. */
				HTMLFormElement.prototype.submit.call(f);
			})
			.catch(function () {
				if (attempt < 4) {
					if (status) status.textContent = '网络异常，正在重试……';
					setTimeout(function () { send(f, b, attempt + 1); },
					    500 * Math.pow(2, attempt));
					return;
				}
				if (status) status.textContent = '网络异常，请稍后再点“提交”（不会重复提交）。';
				f.dataset.sending = '0';
				if (b) b.disabled = false;
			});
	}
})();
