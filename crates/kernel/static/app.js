/* Jinguo: the little the pages need from script, in ES5 for old office browsers. Every
   page works without it; with it, forms save once, destructive buttons ask first, and
   unit and person fields suggest as one types. */
(function () {
  'use strict';

  function each(sel, fn, root) {
    var list = (root || document).querySelectorAll(sel);
    for (var i = 0; i < list.length; i++) fn(list[i]);
  }

  // A way back on error pages.
  each('[data-back]', function (a) {
    if (window.history.length < 2) return;
    a.hidden = false;
    a.addEventListener('click', function (e) { e.preventDefault(); window.history.back(); });
  });

  // Buttons that end or remove something ask first, in their own words.
  document.addEventListener('click', function (e) {
    var b = e.target.closest ? e.target.closest('[data-confirm]') : null;
    if (b && !window.confirm(b.getAttribute('data-confirm'))) e.preventDefault();
  }, true);

  // A double tap saves once: a form that is being sent is not sent again.
  document.addEventListener('submit', function (e) {
    var f = e.target;
    if (f.method && f.method.toLowerCase() === 'get') return;
    if (f.getAttribute('data-sent')) { e.preventDefault(); return; }
    f.setAttribute('data-sent', '1');
    each('button[type=submit], input[type=submit]', function (b) {
      b.setAttribute('aria-disabled', 'true');
      b.className += ' sending';
    }, f);
  });
  // Back from the next page, the form may be sent again.
  window.addEventListener('pageshow', function () {
    each('form[data-sent]', function (f) { f.removeAttribute('data-sent'); });
  });

  // Pickers: <input data-pick="/api/v1/…/pick" list="…">: the server's matches fill the list.
  function suggest(input) {
    var url = input.getAttribute('data-pick');
    var list = document.getElementById(input.getAttribute('list'));
    var q = input.value.replace(/^\s+|\s+$/g, '');
    if (!list || q.length < 2 || q === input.getAttribute('data-last')) return;
    input.setAttribute('data-last', q);
    var xhr = new XMLHttpRequest();
    xhr.open('GET', url + '?q=' + encodeURIComponent(q));
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.onload = function () {
      if (xhr.status !== 200 || input.value.replace(/^\s+|\s+$/g, '') !== q) return;
      var items;
      try { items = JSON.parse(xhr.responseText); } catch (err) { return; }
      while (list.firstChild) list.removeChild(list.firstChild);
      for (var i = 0; i < items.length; i++) {
        var o = document.createElement('option');
        o.value = items[i].value;
        o.label = items[i].label;
        o.textContent = items[i].label;
        list.appendChild(o);
      }
    };
    xhr.send();
  }
  // A match offered under a field fills it.
  document.addEventListener('click', function (e) {
    var b = e.target;
    if (!b.getAttribute || !b.getAttribute('data-fill')) return;
    var input = document.getElementById(b.getAttribute('data-fill'));
    if (input) { input.value = b.value; }
    // A unit of the tree chosen opens its branch (a button in a summary does not).
    var sum = b.parentNode;
    if (sum && sum.tagName === 'SUMMARY' && !sum.parentNode.open) {
      sum.parentNode.open = true;
    } else if (input) {
      input.focus();
    }
  });

  // The tree of a unit field: each level is fetched when it is opened.
  function branch(details, code, name, target) {
    var xhr = new XMLHttpRequest();
    xhr.open('GET', '/api/v1/org/units/' + encodeURIComponent(code) + '/children');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.onload = function () {
      if (xhr.status !== 200) return;
      var units;
      try { units = JSON.parse(xhr.responseText); } catch (err) { return; }
      var ul = document.createElement('ul');
      for (var i = 0; i < units.length; i++) {
        var u = units[i];
        var li = document.createElement('li');
        var pick = document.createElement('button');
        pick.type = 'button';
        pick.className = 'link';
        pick.setAttribute('data-fill', target);
        pick.value = u.name + '\uff08' + name + '\uff09';
        pick.textContent = u.name;
        if (u.level < 5) {
          var sub = document.createElement('details');
          var sum = document.createElement('summary');
          sum.appendChild(pick);
          sub.appendChild(sum);
          watch(sub, u.code, u.name, target);
          li.appendChild(sub);
        } else {
          li.appendChild(pick);
        }
        ul.appendChild(li);
      }
      details.appendChild(ul);
    };
    xhr.send();
  }
  function watch(details, code, name, target) {
    details.addEventListener('toggle', function () {
      if (details.open && !details.getAttribute('data-loaded')) {
        details.setAttribute('data-loaded', '1');
        branch(details, code, name, target);
      }
    });
  }
  each('details[data-tree]', function (d) {
    watch(d, d.getAttribute('data-tree'), d.getAttribute('data-root-name'), d.getAttribute('data-for'));
  });

  each('input[data-pick]', function (input) {
    var timer = null;
    input.addEventListener('input', function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () { suggest(input); }, 200);
    });
  });
})();
