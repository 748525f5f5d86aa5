/** Entry point of the browser app (web/index.html). */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';

const el = document.getElementById('root');
if (!el) throw new Error('web/index.html has no #root element');
createRoot(el).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
