import { createRoot } from 'react-dom/client';
import { ENTITIES } from '../../src/registry/model.js';
import { gradeCrs } from '../../src/registry/grading/astct.js';
const el = document.getElementById('root');
if (el)
  createRoot(el).render(
    <p>
      {ENTITIES.length} {gradeCrs.name}
    </p>,
  );
