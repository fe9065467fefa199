// Starts GraphiQL with the explorer plugin. Everything it needs is served
// by the catalogue server itself; the settings come from the page's
// #playground-config element: the endpoint, the headers every request
// carries (development credentials under `make run`) and the example tabs.
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('playground-config').textContent);

  // GraphiQL keeps its tabs in localStorage. A prefix of our own keeps
  // them apart from any other GraphiQL served from this origin (another
  // project's dev server on the same port, say).
  var prefix = 'catalogue:';
  function keys() {
    var out = [];
    for (var i = 0; i < localStorage.length; i++) {
      var key = localStorage.key(i);
      if (key !== null && key.indexOf(prefix) === 0) out.push(key);
    }
    return out;
  }
  var storage = {
    getItem: function (key) { return localStorage.getItem(prefix + key); },
    setItem: function (key, value) { localStorage.setItem(prefix + key, value); },
    removeItem: function (key) { localStorage.removeItem(prefix + key); },
    clear: function () { keys().forEach(function (key) { localStorage.removeItem(key); }); },
    get length() { return keys().length; }
  };

  // The headers tab shows the configured headers, which a user may change
  // or add to. The fetcher sends them too, under the tab's: GraphiQL
  // fetches the schema before the headers tab is set up.
  var headers = config.headers ? JSON.stringify(config.headers, null, 2) : undefined;
  var tabs = (config.tabs || []).map(function (tab) {
    return { query: tab.query, headers: headers };
  });

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({
      url: new URL(config.endpoint, location.href).href,
      headers: config.headers || undefined
    }),
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    defaultTabs: tabs.length > 0 ? tabs : undefined,
    // Every tab, new or restored, shows these headers; they are never
    // written to localStorage, so a credential does not outlive the page.
    defaultHeaders: headers,
    shouldPersistHeaders: false,
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: headers ? 'headers' : true,
    inputValueDeprecation: true,
    storage: storage
  }));
})();
