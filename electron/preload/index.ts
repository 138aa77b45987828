import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { API_CHANNEL, FILE_CHANNELS, MENU_CHANNEL, type IpcBridge } from '../../shared/ipc'

/** The window's only door to the back end: the contract, and file choices made in main. */
const bridge: IpcBridge = {
  call: (method, args) => ipcRenderer.invoke(API_CHANNEL, method, args),
  exportBundle: (selection) => ipcRenderer.invoke(FILE_CHANNELS.export, selection),
  importBundles: (paths) => ipcRenderer.invoke(FILE_CHANNELS.import, paths),
  openBundle: () => ipcRenderer.invoke(FILE_CHANNELS.open),
  pathForFile: (file) => webUtils.getPathForFile(file as File),
  onMenu: (listener) => {
    ipcRenderer.on(MENU_CHANNEL, (_event, command) => listener(command))
  },
}

contextBridge.exposeInMainWorld('replaydesk', bridge)
