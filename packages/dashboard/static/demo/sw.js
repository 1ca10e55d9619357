// The demo's service worker: Herald's ready-made worker, served by the Herald server.
importScripts('/herald-sw.js');
