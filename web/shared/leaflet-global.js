// Leaflet plugins (markercluster) extend the global `L`: give them the bundled Leaflet before they load.
import L from 'leaflet';

window.L = L;
